import { Registry } from 'prom-client';
import { AccessLogWriter, type AccessLogSink } from '../../src/access-log/writer';
import type { AccessEntry } from '../../src/access-log/entry';
import { createLogger } from '../../src/lib/logger';
import { FakeClock } from '../support/fake-clock';
import { FakeScheduler } from '../support/fake-scheduler';
import { LogCapture } from '../support/log-capture';

/** A sink that keeps batches, and fails or hangs when told to. */
class FakeSink implements AccessLogSink {
  batches: AccessEntry[][] = [];
  failing = false;
  hanging: Array<() => void> = [];
  hang = false;
  deletedBefore: number[] = [];

  async insert(entries: readonly AccessEntry[]): Promise<void> {
    if (this.hang) await new Promise<void>((resolve) => this.hanging.push(resolve));
    if (this.failing) throw new Error('database down');
    this.batches.push([...entries]);
  }

  async deleteOlderThan(before: number): Promise<number> {
    this.deletedBefore.push(before);
    return 3;
  }
}

const entry = (n: number): AccessEntry => ({ at: n, userId: 'u', username: 'demo', subscriptionId: 'test', method: 'GET', path: `/p/${n}`, status: 200, requestId: `r-${n}`, durationMs: 1 });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the access log writer', () => {
  let clock: FakeClock;
  let scheduler: FakeScheduler;
  let sink: FakeSink;
  let logs: LogCapture;
  let registry: Registry;
  const build = (overrides: Partial<ConstructorParameters<typeof AccessLogWriter>[0]> = {}) =>
    new AccessLogWriter({ sink, clock, scheduler, logger: createLogger({ level: 'info', destination: logs }), registry, batchSize: 3, flushIntervalMs: 1000, bufferLimit: 5, retentionMs: 30 * 86_400_000, ...overrides });

  beforeEach(() => {
    clock = new FakeClock();
    scheduler = new FakeScheduler(clock);
    sink = new FakeSink();
    logs = new LogCapture();
    registry = new Registry();
  });

  it('writes a batch as soon as it is full', async () => {
    const writer = build();
    [1, 2, 3].forEach((n) => writer.record(entry(n)));
    await settle();
    expect(sink.batches.map((b) => b.map((e) => e.at))).toEqual([[1, 2, 3]]);
  });

  it('writes a partial batch when the flush interval has passed, not before', async () => {
    const writer = build();
    writer.record(entry(1));
    scheduler.advance(999);
    await settle();
    expect(sink.batches).toEqual([]);
    scheduler.advance(1);
    await settle();
    expect(sink.batches.map((b) => b.length)).toEqual([1]);
  });

  it('never waits for the database: while a write hangs, entries wait in memory up to the limit, then are dropped and counted', async () => {
    sink.hang = true;
    const writer = build();
    for (let n = 1; n <= 3; n += 1) writer.record(entry(n)); // the first batch, now hanging
    for (let n = 4; n <= 10; n += 1) writer.record(entry(n)); // 5 wait, 2 are dropped
    expect(writer.counts.droppedBufferFull).toBe(2);
    expect(await registry.getSingleMetricAsString('access_log_entries_dropped_total')).toContain('access_log_entries_dropped_total{reason="buffer-full"} 2');
    expect(await registry.getSingleMetricAsString('access_log_entries_buffered')).toContain('access_log_entries_buffered 5');
    sink.hang = false;
    sink.hanging.forEach((resume) => resume());
    await writer.flush();
    expect(sink.batches.flat().map((e) => e.at)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(logs.text).toContain('access log buffer full');
  });

  it('drops a batch the database refuses, counts it, logs once, and goes on writing later batches', async () => {
    const writer = build();
    sink.failing = true;
    [1, 2, 3, 4, 5, 6].forEach((n) => writer.record(entry(n)));
    await writer.flush();
    expect(writer.counts.droppedWriteFailed).toBe(6);
    expect(logs.entries().filter((l) => l.event === 'access-log.write-failed')).toHaveLength(1);
    sink.failing = false;
    writer.record(entry(7));
    await writer.flush();
    expect(sink.batches.flat().map((e) => e.at)).toEqual([7]);
    expect(await registry.getSingleMetricAsString('access_log_entries_dropped_total')).toContain('reason="write-failed"} 6');
  });

  it('writes everything buffered on close, stops its timers, and counts what comes after as dropped', async () => {
    const writer = build({ batchSize: 100 });
    writer.start();
    [1, 2].forEach((n) => writer.record(entry(n)));
    await writer.close();
    expect(sink.batches.flat().map((e) => e.at)).toEqual([1, 2]);
    expect(scheduler.pending).toBe(0);
    writer.record(entry(3));
    expect(writer.counts.droppedBufferFull).toBe(1);
  });

  it('does not let a hanging database hold shutdown beyond its grace period', async () => {
    sink.hang = true;
    const writer = build({ batchSize: 1 });
    writer.record(entry(1));
    const closing = writer.close(2000);
    let closed = false;
    void closing.then(() => (closed = true));
    scheduler.advance(2000);
    await closing;
    expect(closed).toBe(true);
  });

  it('deletes entries past the retention period every hour, by the clock', async () => {
    const writer = build();
    writer.start();
    scheduler.advance(60 * 60_000);
    await settle();
    expect(sink.deletedBefore).toEqual([clock.now() - 30 * 86_400_000]);
    scheduler.advance(60 * 60_000);
    await settle();
    expect(sink.deletedBefore).toHaveLength(2);
    await writer.close();
  });
});
