import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPasswordHasher } from '../../../src/auth/password';
import { runUserCommand, type CommandIo } from '../../../src/cli/user-command';
import request from 'supertest';
import { buildTestApp, extractFormCsrf, type TestApp } from '../../support/test-app';
import { describeWithRedis, REDIS_URL, uniqueName } from '../../support/services';

const passwords = createPasswordHasher({ logN: 10 });

function terminal(password = 'a-long-password') {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (l) => out.push(l), err: (l) => err.push(l), readPassword: async () => password };
  return { io, out, err };
}

describe('npm run user', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-cli-'));
    env = { DATABASE_URL: `sqlite:${path.join(dir, 'app.db')}` };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (argv: string[], t = terminal()) => runUserCommand(argv, t.io, { env, passwords }).then((code) => ({ code, ...t }));

  it('adds users and lists them', async () => {
    expect((await run(['add', 'Alice', 'test'])).out).toEqual(['Added alice (Subscription-Id test).']);
    await run(['add', 'bob', '5b7c2e1a-9d3f-4c6b-8a2e-1f0d9c8b7a65']);
    await run(['add', 'root-admin', 'test', '--admin']);
    await run(['link', 'bob', 'test']);
    const listed = await run(['list']);
    expect(listed.code).toBe(0);
    expect(listed.out).toEqual([
      'alice\tuser\ttest\tactive',
      'bob\tuser\t5b7c2e1a-9d3f-4c6b-8a2e-1f0d9c8b7a65,test\tactive',
      'root-admin\tadmin\ttest\tactive',
    ]);
    expect((await run(['unlink', 'bob', 'test'])).code).toBe(0);
    expect((await run(['list'])).out[1]).toBe('bob\tuser\t5b7c2e1a-9d3f-4c6b-8a2e-1f0d9c8b7a65\tactive');
  });

  it('refuses a password given as an argument, before touching anything', async () => {
    const result = await run(['add', 'carol', 'test', '--password=hunter22']);
    expect(result.code).toBe(2);
    expect(result.err.join()).toMatch(/not accepted on the command line/);
    expect(fs.existsSync(path.join(dir, 'app.db'))).toBe(false);
  });

  it('explains bad input: an existing user, a bad username, a short password, a bad Subscription-Id', async () => {
    await run(['add', 'dave', 'test']);
    expect(await run(['add', 'DAVE', 'test'])).toMatchObject({ code: 2, err: ['A user named "dave" already exists'] });
    const bad = await run(['add', 'x', 'not valid!'], terminal('short'));
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/username must be at least 3 characters/);
    expect(bad.err[0]).toMatch(/password must be at least 8 characters/);
    expect(bad.err[0]).toMatch(/Subscription-Id may use only/);
  });

  it('answers 1 for a user that does not exist, and 2 for a wrong command', async () => {
    expect((await run(['remove', 'nobody'])).code).toBe(1);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['remove'])).code).toBe(2);
    expect((await run([])).out[0]).toMatch(/^Manage the app's users/);
  });

  it('ends the sessions of a user it removes, deactivates or re-links', async () => {
    const t = await buildTestApp({ adjust: (config) => ({ ...config, databaseUrl: env.DATABASE_URL! }) });
    try {
      await run(['add', 'erin', 'test'], terminal('erin-password'));
      const first = await t.signIn('erin', 'erin-password');
      expect((await run(['set-subscription', 'erin', 'other-sub'])).code).toBe(0);
      await first.agent.get('/api/me').expect(401);
      const second = await t.signIn('erin', 'erin-password');
      expect((await run(['deactivate', 'erin'])).code).toBe(0);
      await second.agent.get('/api/me').expect(401);
      expect((await run(['activate', 'erin'])).code).toBe(0);
      const third = await t.signIn('erin', 'erin-password');
      expect((await run(['remove', 'erin'])).code).toBe(0);
      await third.agent.get('/api/me').expect(401);
    } finally {
      await t.close();
    }
  });

  it('records every change in the app’s audit log as cli:<os user>, shown on /admin/audit', async () => {
    const asOps = (argv: string[]) => runUserCommand(argv, terminal('grace-password').io, { env, passwords, osUsername: 'ops-person' });
    for (const argv of [['add', 'grace', 'test'], ['link', 'grace', 'other-sub'], ['unlink', 'grace', 'other-sub'], ['set-subscription', 'grace', 'third-sub'], ['set-password', 'grace'], ['deactivate', 'grace'], ['activate', 'grace'], ['remove', 'grace']]) {
      expect(await asOps(argv)).toBe(0);
    }
    // A command that changes nothing records nothing.
    expect(await asOps(['remove', 'nobody'])).toBe(1);

    const t = await buildTestApp({ adjust: (config) => ({ ...config, databaseUrl: env.DATABASE_URL! }) });
    try {
      const entries = (await t.deps.audit.latest(50)).filter((e) => e.actorUsername === 'cli:ops-person');
      expect(entries.map((e) => e.action).sort()).toEqual(
        ['user.activate', 'user.create', 'user.deactivate', 'user.link-subscription', 'user.password-reset', 'user.remove', 'user.set-subscription', 'user.unlink-subscription'].sort(),
      );
      expect(entries.every((e) => e.target === 'grace' && e.actorId === null)).toBe(true);
      expect(JSON.stringify(entries)).not.toContain('grace-password');
      const admin = await t.signIn('admin', 'admin-password');
      const page = await admin.agent.get('/admin/audit?user=cli%3Aops-person').expect(200);
      expect(page.text).toContain('cli:ops-person');
      expect(page.text).toContain('user.set-subscription');
    } finally {
      await t.close();
    }
  });
});

/** One sign-in attempt from a fresh browser: the status it gets. */
async function tryToSignIn(t: TestApp, username: string, password: string): Promise<number> {
  const agent = request.agent(t.app);
  const form = await agent.get('/login');
  return (await agent.post('/login').type('form').send({ username, password, _csrf: extractFormCsrf(form.text) })).status;
}

describeWithRedis('npm run user -- unlock, with the lockouts in Redis', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let t: TestApp;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-cli-'));
    const prefix = `${uniqueName('unlock')}:`;
    env = { DATABASE_URL: `sqlite:${path.join(dir, 'app.db')}`, REDIS_URL, REDIS_KEY_PREFIX: prefix };
    t = await buildTestApp({ env: { REDIS_URL: REDIS_URL!, REDIS_KEY_PREFIX: prefix }, adjust: (config) => ({ ...config, databaseUrl: env.DATABASE_URL! }) });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const run = (argv: string[], out: string[] = [], err: string[] = []) =>
    runUserCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l), readPassword: async () => 'frank-password' }, { env, passwords }).then((code) => ({ code, out, err }));

  it('lifts a lockout kept in Redis, so the running app lets the user in at once', async () => {
    await run(['add', 'frank', 'test']);
    for (let i = 0; i < t.config.signInLimits.maxFailuresPerUsername; i += 1) expect(await tryToSignIn(t, 'frank', `wrong-${i}`)).toBe(401);
    expect(await tryToSignIn(t, 'frank', 'frank-password')).toBe(429);

    expect(await run(['unlock', 'Frank'])).toMatchObject({ code: 0, out: ['Sign-in of Frank unlocked: they may try again now.'] });
    expect(await tryToSignIn(t, 'frank', 'frank-password')).toBe(303);
  });

  it('answers 1 for a user that does not exist', async () => {
    expect(await run(['unlock', 'nobody'])).toMatchObject({ code: 1, err: ['No user named "nobody".'] });
  });
});

describe('npm run user -- unlock, without Redis', () => {
  it('says where the lockouts are and how to lift one, instead of pretending', async () => {
    const err: string[] = [];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-cli-'));
    try {
      const io: CommandIo = { out: () => undefined, err: (l) => err.push(l), readPassword: async () => '' };
      expect(await runUserCommand(['unlock', 'frank'], io, { env: { DATABASE_URL: `sqlite:${path.join(dir, 'app.db')}` }, passwords })).toBe(2);
      expect(err.join()).toContain('/admin/users');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
