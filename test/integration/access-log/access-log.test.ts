import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { buildTestApp, type SignedIn, type TestApp } from '../../support/test-app';
import type { AccessEntry } from '../../../src/access-log/entry';
import { AccessLogStore } from '../../../src/access-log/store';
import { openDatabase, type OpenDatabase } from '../../../src/db/database';
import { describeWithPostgres, postgresSchemaForTest } from '../../support/services';

const DAY = 86_400_000;
const base: Omit<AccessEntry, 'at'> = { userId: 'u-1', username: 'demo', subscriptionId: 'test', method: 'GET', path: '/service/v3/appointments/', status: 200, requestId: 'r', durationMs: 3 };

describe('the access log of proxied calls', () => {
  let t: TestApp;
  let demo: SignedIn;

  beforeEach(async () => {
    t = await buildTestApp();
    demo = await t.signIn();
  });
  afterEach(async () => {
    await t.close();
  });

  const rows = () => t.deps.accessLog.store.page({}, 1000);

  it('records user, dealer, method, path without its query, status, Request-Id and time of every proxied call', async () => {
    const answer = await demo.agent.get('/api/fortellis/service/v3/appointments/?page=2&pageSize=5&customer=Jane%20Doe').expect(200);
    const calledAt = t.clock.now();
    t.clock.advance(1000);
    await demo.agent.get('/api/fortellis/service/v3/appointments/no-such-appointment').expect(404);
    await t.deps.accessLog.writer.flush();
    const [missing, listed] = await rows();
    expect(listed).toMatchObject({
      username: 'demo',
      subscriptionId: 'test',
      method: 'GET',
      path: '/service/v3/appointments/',
      status: 200,
      requestId: answer.headers['request-id'],
      at: calledAt,
    });
    expect(missing).toMatchObject({ path: '/service/v3/appointments/no-such-appointment', status: 404 });
    expect(JSON.stringify(await rows())).not.toContain('Jane');
  });

  it('records refused calls too: not signed in (401) and refused paths', async () => {
    await t.signIn(); // another agent; this one stays anonymous
    const { default: request } = await import('supertest');
    await request(t.app).get('/api/fortellis/service/v3/appointments/').expect(401);
    await t.deps.accessLog.writer.flush();
    expect(await rows()).toEqual([expect.objectContaining({ status: 401, username: null, userId: null, subscriptionId: null })]);
  });

  it('keeps the proxy answering when the database refuses the log’s writes, and counts the dropped entries', async () => {
    await sql`drop table access_log`.execute(t.deps.database.db);
    await demo.agent.get('/api/fortellis/service/v3/appointments/').expect(200);
    await t.deps.accessLog.writer.flush();
    await demo.agent.get('/api/fortellis/service/v3/appointments/').expect(200);
    expect(t.deps.accessLog.writer.counts.droppedWriteFailed).toBe(1);
    expect(await t.deps.metrics.registry.getSingleMetricAsString('access_log_entries_dropped_total')).toContain('reason="write-failed"} 1');
    expect(t.logs.text).toContain('access log batch could not be written');
  });

  it('deletes entries older than ACCESS_LOG_RETENTION_DAYS when pruning, by the clock', async () => {
    await t.deps.accessLog.store.insert([{ ...base, at: t.clock.now() - 366 * DAY }, { ...base, at: t.clock.now() - 364 * DAY }]);
    expect(await t.deps.accessLog.writer.prune()).toBe(1);
    expect((await rows()).map((r) => r.at)).toEqual([t.clock.now() - 364 * DAY]);
  });

  describe('the admin page and its export', () => {
    let admin: SignedIn;
    const at = (iso: string) => Date.parse(iso);

    beforeEach(async () => {
      admin = await t.signIn('admin', 'admin-password');
      await t.deps.accessLog.store.insert([
        { ...base, at: at('2026-01-03T10:00:00Z'), status: 200 },
        { ...base, at: at('2026-01-04T10:00:00Z'), status: 404, requestId: 'r-404' },
        { ...base, at: at('2026-01-04T23:59:00Z'), status: 401, username: 'admin', subscriptionId: 'sunrise' },
        { ...base, at: at('2026-01-05T08:00:00Z'), status: 503, path: '=HYPERLINK("http://evil.example","x")', username: '@evil,"quoted"' },
      ]);
    });

    const page = (query: string) => admin.agent.get(`/admin/access-log${query}`);

    it('is for admins only', async () => {
      await demo.agent.get('/admin/access-log').expect(403);
      await demo.agent.get('/admin/access-log/export').expect(403);
    });

    it('filters by user, dealer, status (exact or class) and dates, the "to" day included', async () => {
      const count = async (query: string) => Number(/<span id="access-total">(\d+)<\/span>/.exec((await page(query).expect(200)).text)![1]);
      expect(await count('')).toBe(4);
      expect(await count('?user=demo')).toBe(2);
      expect(await count('?dealer=sunrise')).toBe(1);
      expect(await count('?status=404')).toBe(1);
      expect(await count('?status=4xx')).toBe(2);
      expect(await count('?from=2026-01-04&to=2026-01-04')).toBe(2);
      expect(await count('?user=demo&status=4xx&from=2026-01-04')).toBe(1);
      expect((await page('?status=4xx')).text).toContain('r-404');
    });

    it('answers a bad filter with a readable 400 page', async () => {
      const bad = await page('?status=abc&from=2026-13-45&before=x');
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('The filter is not valid');
      expect(bad.text).not.toMatch(/at \S+ \(.*:\d+:\d+\)/);
    });

    it('pages through the log, newest first, 50 a page', async () => {
      await t.deps.accessLog.store.insert(Array.from({ length: 60 }, (_, i) => ({ ...base, at: at('2026-01-02T00:00:00Z') - i * 1000, requestId: `bulk-${i}` })));
      const first = await page('?user=demo').expect(200);
      expect(first.text).toContain('r-404');
      const older = /href="(\/admin\/access-log\?[^"]*before=[^"]+)" id="access-older"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
      const second = await admin.agent.get(older).expect(200);
      expect(second.text).toContain('bulk-59');
      expect(second.text).not.toContain('r-404');
      expect(second.text).not.toContain('id="access-older"');
    });

    it('exports CSV a spreadsheet cannot run, with the filters applied, and audits the export', async () => {
      const csv = await admin.agent.get('/admin/access-log/export?format=csv').expect(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.headers['content-disposition']).toContain('attachment; filename="access-log.csv"');
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toBe('time,username,userId,subscriptionId,method,path,status,requestId,durationMs');
      expect(lines).toHaveLength(5);
      expect(lines[1]).toContain(`'@evil`);
      expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
      expect(csv.text).not.toMatch(/(^|,)[=+\-@]/m);
      const filtered = await admin.agent.get('/admin/access-log/export?format=csv&status=404').expect(200);
      expect(filtered.text.trim().split('\r\n')).toHaveLength(2);
      expect((await t.deps.audit.latest()).filter((e) => e.action === 'access-log.export')).toHaveLength(2);
    });

    it('exports JSON Lines, one parseable object a line', async () => {
      const jsonl = await admin.agent.get('/admin/access-log/export?format=jsonl&user=demo').expect(200);
      expect(jsonl.headers['content-type']).toContain('application/x-ndjson');
      const objects = jsonl.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(objects.map((o) => o.status)).toEqual([404, 200]);
      expect(objects[0]).toMatchObject({ time: '2026-01-04T10:00:00.000Z', username: 'demo', subscriptionId: 'test', requestId: 'r-404' });
    });

    it('streams an export of many chunks whole', async () => {
      await t.deps.accessLog.store.insert(Array.from({ length: 2500 }, (_, i) => ({ ...base, at: at('2025-12-01T00:00:00Z') + i })));
      const jsonl = await admin.agent.get('/admin/access-log/export?format=jsonl').expect(200);
      expect(jsonl.text.trim().split('\n')).toHaveLength(2504);
    });
  });
});

/** What every store must do with batches of any size (run on SQLite here, on PostgreSQL below). */
async function expectBatchesWrittenWholeOrNotAtAll(store: AccessLogStore): Promise<void> {
  // Sizes that cut into several power-of-two chunks (and reuse the statements built for the first ones).
  const sizes = [1, 3, 200, 257, 700, 200];
  let at = 5_000_000;
  for (const size of sizes) {
    await store.insert(Array.from({ length: size }, (_, i) => ({ ...base, at: at + i, requestId: `r-${at + i}`, durationMs: i })));
    at += 10_000;
  }
  expect(await store.count({ from: 5_000_000, to: 9_000_000 })).toBe(sizes.reduce((a, b) => a + b, 0));
  const page = await store.page({ from: 5_020_000, to: 5_030_000 }, 1000);
  expect(page).toHaveLength(200);
  expect(page[0]).toMatchObject({ ...base, at: 5_020_199, requestId: 'r-5020199', durationMs: 199 });
  expect(new Set(page.map((e) => e.id)).size).toBe(200);
  // A batch whose last row the database refuses (no method) leaves no row of it behind.
  const broken = Array.from({ length: 300 }, (_, i) => ({ ...base, at: 9_000_000 + i }));
  broken[299] = { ...broken[299]!, method: null as unknown as string };
  // Checked as "it rejected", not with toThrow(): better-sqlite3's native module keeps the error class of the
  // first test file that loaded it in this jest worker, which is no Error in this file's realm.
  const refused = await store.insert(broken).then(() => false, () => true);
  expect(refused).toBe(true);
  expect(await store.count({ from: 9_000_000 })).toBe(0);
}

describe('the access log store', () => {
  it('writes batches of any size whole, or not at all (SQLite)', async () => {
    const database = await openDatabase('sqlite::memory:');
    try {
      await expectBatchesWrittenWholeOrNotAtAll(new AccessLogStore(database.db));
    } finally {
      await database.close();
    }
  });

  it('writes batches of any size whole, or not at all (SQLite in a file, through the write thread)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fbff-access-log-store-'));
    const database = await openDatabase(`sqlite:${path.join(dir, 'app.db')}`);
    try {
      expect(database.writeThread).toBeDefined();
      await expectBatchesWrittenWholeOrNotAtAll(new AccessLogStore(database.db, database.writeThread));
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPostgres('the access log in PostgreSQL', () => {
  let schema: Awaited<ReturnType<typeof postgresSchemaForTest>>;
  let database: OpenDatabase;

  beforeAll(async () => {
    schema = await postgresSchemaForTest();
    database = await openDatabase(schema.url);
  });
  afterAll(async () => {
    await database?.close();
    await schema?.drop();
  });

  it('writes batches, filters, pages by (time, id) and prunes', async () => {
    const store = new AccessLogStore(database.db);
    await store.insert(Array.from({ length: 700 }, (_, i) => ({ ...base, at: 1_000_000 + i, status: i % 2 === 0 ? 200 : 404, username: i < 10 ? 'admin' : 'demo' })));
    expect(await store.count({})).toBe(700);
    expect(await store.count({ status: { class: 4 }, username: 'demo' })).toBe(345);
    const first = await store.page({}, 10);
    expect(first[0]!.at).toBe(1_000_699);
    const next = await store.page({}, 10, { at: first[9]!.at, id: first[9]!.id });
    expect(next[0]!.at).toBe(1_000_689);
    expect(await store.deleteOlderThan(1_000_100)).toBe(100);
    expect(await store.count({ from: 1_000_000, to: 1_000_200 })).toBe(100);
  });

  it('writes batches of any size whole, or not at all', async () => {
    await expectBatchesWrittenWholeOrNotAtAll(new AccessLogStore(database.db));
  });
});
