import type { Express } from 'express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app';
import { loadConfig, pointAtSimulator, type AppConfig } from '../../src/config/load';
import { SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET, startSimulator, type RunningSimulator } from '../../src/simulator';
import { buildDependencies, type BuiltDependencies } from '../../src/dependencies';
import { createPasswordHasher, type PasswordHasher } from '../../src/auth/password';
import { ensureDemoUsers, DEMO_USER } from '../../src/auth/demo-users';
import { createLogger } from '../../src/lib/logger';
import { FakeClock } from './fake-clock';
import { LogCapture } from './log-capture';

export interface TestAppOptions {
  /** Extra environment for loadConfig (e.g. PROXY_TIMEOUT_MS). */
  env?: Record<string, string>;
  /** Change the config after it is loaded and pointed at the simulator (e.g. another API base URL). */
  adjust?: (config: AppConfig) => AppConfig;
  /** Wraps the cheap test hasher (e.g. to count verifications); a fake, not a module mock. */
  wrapPasswords?: (hasher: PasswordHasher) => PasswordHasher;
}

export interface TestApp {
  app: Express;
  deps: BuiltDependencies;
  config: AppConfig;
  sim: RunningSimulator;
  clock: FakeClock;
  logs: LogCapture;
  /** A supertest agent (it keeps cookies) signed in as `username`. */
  signIn(username?: string, password?: string): Promise<SignedIn>;
  /** Adds a user with a cheap password hash. */
  addUser(username: string, password: string, subscriptionId: string): Promise<void>;
  close(): Promise<void>;
}

export interface SignedIn {
  agent: TestAgent;
  csrfToken: string;
  cookie: string;
}

// Cheap scrypt for tests: the parameters are stored in each hash, so verification is exercised all the same.
const passwords = createPasswordHasher({ logN: 10 });

/**
 * The app as tests use it: in-process, on a fresh in-memory SQLite database, talking over real loopback
 * HTTP to its own simulator, with one fake clock for both and every log line captured.
 */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const clock = new FakeClock();
  const sim = await startSimulator({
    port: 0,
    clientId: SIMULATOR_DEFAULT_CLIENT_ID,
    clientSecret: SIMULATOR_DEFAULT_CLIENT_SECRET,
    clock,
    implicitRedirectUris: ['http://localhost:3000/implicit/'],
  });
  let config = pointAtSimulator(
    loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'debug', PUBLIC_URL: 'http://localhost:3000', ...options.env }),
    sim.url,
  );
  if (options.adjust) config = options.adjust(config);
  const logs = new LogCapture();
  const logger = createLogger({ level: 'debug', destination: logs });
  const deps = await buildDependencies(config, { clock, logger, passwords: options.wrapPasswords ? options.wrapPasswords(passwords) : passwords });
  await ensureDemoUsers(deps.users, deps.passwords);
  const app = createApp(deps);

  async function signIn(username: string = DEMO_USER.username, password: string = DEMO_USER.password): Promise<SignedIn> {
    const agent = request.agent(app);
    const form = await agent.get('/login').expect(200);
    const csrf = extractFormCsrf(form.text);
    const login = await agent.post('/login').type('form').send({ username, password, _csrf: csrf });
    if (login.status !== 303) throw new Error(`sign-in as ${username} failed with ${login.status}`);
    const cookie = sessionCookie(login.headers['set-cookie'], config.session.cookieName);
    const me = await agent.get('/api/me').expect(200);
    return { agent, csrfToken: me.body.csrfToken as string, cookie };
  }

  return {
    app,
    deps,
    config,
    sim,
    clock,
    logs,
    signIn,
    async addUser(username, password, subscriptionId) {
      await deps.users.create({ username, passwordHash: await passwords.hash(password), subscriptionId });
    },
    async close() {
      await deps.close();
      await sim.close();
    },
  };
}

export function extractFormCsrf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no _csrf field in the page');
  return match[1]!;
}

/** `name=value` of a cookie from Set-Cookie headers. */
export function sessionCookie(setCookie: string | string[] | undefined, name: string): string {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const found = all.find((c) => c.startsWith(`${name}=`));
  if (!found) throw new Error(`no ${name} cookie was set`);
  return found.split(';', 1)[0]!;
}
