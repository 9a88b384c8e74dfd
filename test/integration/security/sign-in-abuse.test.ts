import request from 'supertest';
import type { PasswordHasher } from '../../../src/auth/password';
import { buildTestApp, extractFormCsrf, type TestApp } from '../../support/test-app';
import { listen, type Listening } from '../../support/listen';
import { describeWithRedis, REDIS_URL, uniqueName } from '../../support/services';

async function attempt(t: TestApp, username: string, password: string, headers: Record<string, string> = {}) {
  const agent = request.agent(t.app);
  const form = await agent.get('/login').set(headers);
  return agent.post('/login').set(headers).type('form').send({ username, password, _csrf: extractFormCsrf(form.text) });
}

describe('throttling failed sign-ins', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ env: { LOGIN_MAX_FAILURES_PER_USERNAME: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '6', LOGIN_THROTTLE_WINDOW_SECONDS: '600' } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('blocks a username after repeated failures with 429 and Retry-After, even with the right password', async () => {
    for (let i = 0; i < 3; i += 1) expect((await attempt(t, 'demo', 'wrong-password')).status).toBe(401);
    const blocked = await attempt(t, 'demo', 'demo-password');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(500);
    expect(blocked.text).toContain('Too many failed sign-ins');
    expect(blocked.headers['set-cookie']?.toString() ?? '').not.toContain('fbff.sid=');
  });

  it('throttles unknown usernames exactly like known ones', async () => {
    for (let i = 0; i < 3; i += 1) expect((await attempt(t, 'no-such-user', 'guess')).status).toBe(401);
    expect((await attempt(t, 'no-such-user', 'guess')).status).toBe(429);
  });

  it('counts usernames case-insensitively, so changing case does not reset the count', async () => {
    await attempt(t, 'demo', 'x-wrong-1');
    await attempt(t, 'DEMO', 'x-wrong-2');
    await attempt(t, 'Demo', 'x-wrong-3');
    expect((await attempt(t, 'dEmO', 'demo-password')).status).toBe(429);
  });

  it('clears the username’s count after a successful sign-in', async () => {
    await attempt(t, 'demo', 'wrong-1');
    await attempt(t, 'demo', 'wrong-2');
    expect((await attempt(t, 'demo', 'demo-password')).status).toBe(303);
    await attempt(t, 'demo', 'wrong-3');
    await attempt(t, 'demo', 'wrong-4');
    expect((await attempt(t, 'demo', 'demo-password')).status).toBe(303);
  });

  it('blocks one address spraying many usernames, and a forged X-Forwarded-For does not help', async () => {
    for (let i = 0; i < 6; i += 1) {
      const response = await attempt(t, `user-${i}`, 'guess', { 'X-Forwarded-For': `198.51.100.${i}` });
      expect(response.status).toBe(401);
    }
    const blocked = await attempt(t, 'demo', 'demo-password', { 'X-Forwarded-For': '198.51.100.200' });
    expect(blocked.status).toBe(429);
  });

  it('counts sign-ins in the metrics', async () => {
    await attempt(t, 'demo', 'wrong');
    await attempt(t, 'demo', 'demo-password');
    const metrics = await request(t.app).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/sign_ins_total\{result="failure"\} 1/);
    expect(metrics.text).toMatch(/sign_ins_total\{result="success"\} 1/);
  });
});

describe('addresses behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES_PER_USERNAME: '100', LOGIN_MAX_FAILURES_PER_ADDRESS: '2' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('believes X-Forwarded-For only when TRUST_PROXY says so', async () => {
    await attempt(t, 'a-user', 'guess', { 'X-Forwarded-For': '203.0.113.1' });
    await attempt(t, 'b-user', 'guess', { 'X-Forwarded-For': '203.0.113.1' });
    expect((await attempt(t, 'c-user', 'guess', { 'X-Forwarded-For': '203.0.113.1' })).status).toBe(429);
    expect((await attempt(t, 'c-user', 'guess', { 'X-Forwarded-For': '203.0.113.2' })).status).toBe(401);
  });
});

describe('sign-in answers that reveal nothing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('does the password-hash work for unknown usernames too, so timing does not tell them apart', async () => {
    const dummy = jest.spyOn(t.deps.passwords, 'verifyAgainstDummy');
    const verify = jest.spyOn(t.deps.passwords, 'verify');
    await attempt(t, 'nobody-here', 'some-password');
    expect(dummy).toHaveBeenCalledTimes(1);
    await attempt(t, 'demo', 'some-password');
    expect(verify).toHaveBeenCalled();
  });

  it('ignores next / returnTo parameters: no open redirect', async () => {
    const agent = request.agent(t.app);
    const form = await agent.get('/login?next=https://evil.example&returnTo=//evil.example');
    const response = await agent
      .post('/login?next=https://evil.example&returnTo=//evil.example')
      .type('form')
      .send({ username: 'demo', password: 'demo-password', _csrf: extractFormCsrf(form.text), next: 'https://evil.example', returnTo: '//evil.example' })
      .expect(303);
    expect(response.headers.location).toBe('/dashboard');
  });

  it('refuses a cross-site sign-in form post (login CSRF), whatever the token', async () => {
    const agent = request.agent(t.app);
    const form = await agent.get('/login');
    await agent
      .post('/login')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ username: 'demo', password: 'demo-password', _csrf: extractFormCsrf(form.text) })
      .expect(403);
  });
});

/**
 * Counts every password check the app makes, whatever the username (a wrapper, not a mock), and holds each
 * check until `release()`: that stands for the ~100 ms of a real hash deterministically, so every attempt
 * meets the throttle while the first checks are still running.
 */
class CountingHasher {
  verifications = 0;
  private open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  constructor(private readonly onVerify: () => void) {}

  release() {
    this.open();
  }

  wrap = (inner: PasswordHasher): PasswordHasher => ({
    hash: (password) => inner.hash(password),
    verify: async (password, stored) => {
      await this.started();
      return inner.verify(password, stored);
    },
    verifyAgainstDummy: async (password) => {
      await this.started();
      return inner.verifyAgainstDummy(password);
    },
  });

  private async started() {
    this.verifications += 1;
    this.onVerify();
    await this.opened;
  }
}

/**
 * 30 sign-ins for one account sent at once over real sockets, 29 wrong and the right one last: the attack that
 * beat a check-then-count throttle ({"303":1,"401":29}).
 */
function concurrentGuessing(name: string, env: () => Record<string, string>) {
  describe(name, () => {
    const LIMIT = 5;
    const ATTEMPTS = 30;
    let refusedSoFar = 0;
    // Every attempt has either met the throttle's refusal or started its password check: let the checks finish.
    const hasher = new CountingHasher(() => settle());
    const settle = () => {
      if (hasher.verifications + refusedSoFar === ATTEMPTS) hasher.release();
    };
    let t: TestApp;
    let served: Listening;
    beforeAll(async () => {
      t = await buildTestApp({
        env: { LOGIN_MAX_FAILURES_PER_USERNAME: String(LIMIT), LOGIN_MAX_FAILURES_PER_ADDRESS: '1000', LOGIN_THROTTLE_WINDOW_SECONDS: '900', ...env() },
        wrapPasswords: hasher.wrap,
      });
      served = await listen(t.app);
    });
    afterAll(async () => {
      await served.close();
      await t.close();
    });

    it('checks at most the limit of passwords and answers the rest 429 with Retry-After', async () => {
      // Every attempt first gets its own sign-in form (login CSRF), then all 30 posts go out together.
      const agents = await Promise.all(
        Array.from({ length: ATTEMPTS }, async (_unused, i) => {
          const agent = request.agent(served.url);
          const form = await agent.get('/login').expect(200);
          return { agent, csrf: extractFormCsrf(form.text), password: i === ATTEMPTS - 1 ? 'admin-password' : `wrong-${i}` };
        }),
      );
      const answers = await Promise.all(
        agents.map(async ({ agent, csrf, password }) => {
          const answer = await agent.post('/login').type('form').send({ username: 'admin', password, _csrf: csrf });
          if (answer.status === 429) {
            refusedSoFar += 1;
            settle();
          }
          return answer;
        }),
      );

      expect(hasher.verifications).toBe(LIMIT);
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 429)).toHaveLength(ATTEMPTS - LIMIT);
      expect(statuses.filter((s) => s !== 429).every((s) => s === 401 || s === 303)).toBe(true);
      for (const refused of answers.filter((a) => a.status === 429)) expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    });
  });
}

concurrentGuessing('concurrent guesses at one account, counters in memory', () => ({}));

describeWithRedis('concurrent guesses with counters in Redis', () => {
  concurrentGuessing('one instance on the real Redis', () => ({ REDIS_URL: REDIS_URL!, REDIS_KEY_PREFIX: `${uniqueName('signin')}:` }));
});
