import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load';
import { createPasswordHasher } from '../../../src/auth/password';
import { DemoAccountsError } from '../../../src/auth/demo-users';
import { createLogger } from '../../../src/lib/logger';
import { systemClock } from '../../../src/lib/clock';
import { startServer } from '../../../src/run';
import { runUserCommand, type CommandIo } from '../../../src/cli/user-command';
import { LogCapture } from '../../support/log-capture';

const passwords = createPasswordHasher({ logN: 10 });
const options = () => ({ clock: systemClock, logger: createLogger({ level: 'warn', destination: new LogCapture() }), passwords });

/** Real Fortellis credentials, production: the README's path from trying the app to running it. */
const production = (databaseUrl: string) => ({
  NODE_ENV: 'production',
  PORT: '0',
  DATABASE_URL: databaseUrl,
  PUBLIC_URL: 'https://bff.example.com',
  SESSION_SECRET: 'a-production-session-secret-that-is-long-enough-0123',
  FORTELLIS_API_KEY: 'real-key',
  FORTELLIS_API_SECRET: 'real-secret',
  LOG_LEVEL: 'warn',
});

function cli(env: Record<string, string>, password = '') {
  const lines: string[] = [];
  const io: CommandIo = { out: (l) => lines.push(l), err: (l) => lines.push(l), readPassword: async () => password };
  return { lines, run: (...argv: string[]) => runUserCommand(argv, io, { env, passwords }) };
}

describe('demo accounts of simulator mode, once the same database runs with real credentials', () => {
  let dir: string;
  let databaseUrl: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-demo-'));
    databaseUrl = `sqlite:${path.join(dir, 'app.db')}`;
    // First run: simulator mode creates demo/demo-password and admin/admin-password in this file.
    const trial = await startServer(loadConfig({ NODE_ENV: 'development', PORT: '0', SIMULATOR_PORT: '0', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }), options());
    await trial.stop(100);
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start, naming both accounts and the commands that fix it', async () => {
    // Should it start after all, it is stopped again, so that the failure is the assertion, not a hung run.
    const error = await startServer(loadConfig(production(databaseUrl)), options()).then(
      async (running) => {
        await running.stop(100);
        return 'started';
      },
      (refusal: unknown) => refusal,
    );
    expect(error).toBeInstanceOf(DemoAccountsError);
    if (!(error instanceof DemoAccountsError)) return;
    expect(error.usernames).toEqual(['admin', 'demo']);
    expect(error.message).toContain('Refusing to start outside simulator mode');
    expect(error.message).toContain('npm run user -- remove demo');
    expect(error.message).toContain('npm run user -- set-password admin');
    // The published passwords are not repeated in the message (it ends up in logs).
    expect(error.message).not.toMatch(/admin-password|demo-password/);
  });

  it('starts once the demo user is removed and the admin has a new password', async () => {
    const users = cli({ DATABASE_URL: databaseUrl }, 'a-new-admin-password-1');
    expect(await users.run('remove', 'demo')).toBe(0);
    expect(await users.run('set-password', 'admin', '--password-stdin')).toBe(0);
    const running = await startServer(loadConfig(production(databaseUrl)), options());
    await running.stop(100);
  });

  it('starts with a demo account that is deactivated (it cannot sign in)', async () => {
    const users = cli({ DATABASE_URL: databaseUrl });
    expect(await users.run('deactivate', 'demo')).toBe(0);
    expect(await users.run('deactivate', 'admin')).toBe(0);
    const running = await startServer(loadConfig(production(databaseUrl)), options());
    await running.stop(100);
  });
});
