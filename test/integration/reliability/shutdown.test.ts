import http from 'node:http';
import { loadConfig } from '../../../src/config/load';
import { createPasswordHasher } from '../../../src/auth/password';
import { createLogger } from '../../../src/lib/logger';
import { systemClock } from '../../../src/lib/clock';
import { startServer, type RunningServer } from '../../../src/run';
import { LogCapture } from '../../support/log-capture';
import { eventually } from '../../support/listen';
import { extractFormCsrf } from '../../support/test-app';

/** Raw HTTP with a cookie jar of one cookie, against a server started as the process would start it. */
function call(url: string, options: { method?: string; cookie?: string; body?: string; type?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', agent: false, headers: { ...(options.cookie ? { Cookie: options.cookie } : {}), ...(options.type ? { 'Content-Type': options.type } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('graceful shutdown', () => {
  let running: RunningServer;
  const logs = new LogCapture();

  beforeAll(async () => {
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', SIMULATOR_PORT: '0', DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'info' });
    running = await startServer(config, { clock: systemClock, logger: createLogger({ level: 'info', destination: logs }), passwords: createPasswordHasher({ logN: 10 }) });
  });
  afterAll(async () => {
    await running.stop(100);
  });

  it('lets a slow in-flight request finish, refuses new connections, and closes the stores', async () => {
    const form = await call(`${running.url}/login`);
    const loginCookie = String(form.headers['set-cookie']![0]).split(';')[0]!;
    const login = await call(`${running.url}/login`, {
      method: 'POST',
      cookie: loginCookie,
      type: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ username: 'demo', password: 'demo-password', _csrf: extractFormCsrf(form.text) }).toString(),
    });
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']!.find((c) => c.startsWith('fbff.sid='))).split(';')[0]!;

    running.simulator!.simulator.addFault({ target: 'api', delayMs: 300, count: 1 });
    const slow = call(`${running.url}/api/fortellis/service/v3/appointments/`, { cookie });
    await eventually(() => running.simulator!.simulator.stats().pendingFaultDelays === 1);

    const stopped = running.stop(5000);
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).items.length).toBeGreaterThan(0);
    await stopped;
    await expect(call(`${running.url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
    await expect(running.deps.users.list()).rejects.toThrow();
  });
});

describe('graceful shutdown with a request that would outlast the grace period', () => {
  it('cuts it when the grace period ends, instead of waiting for ever, and still closes everything', async () => {
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', SIMULATOR_PORT: '0', DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'info' });
    const logs = new LogCapture();
    const running = await startServer(config, { clock: systemClock, logger: createLogger({ level: 'info', destination: logs }), passwords: createPasswordHasher({ logN: 10 }) });
    const form = await call(`${running.url}/login`);
    const login = await call(`${running.url}/login`, {
      method: 'POST',
      cookie: String(form.headers['set-cookie']![0]).split(';')[0]!,
      type: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ username: 'demo', password: 'demo-password', _csrf: extractFormCsrf(form.text) }).toString(),
    });
    const cookie = String(login.headers['set-cookie']!.find((c) => c.startsWith('fbff.sid='))).split(';')[0]!;

    running.simulator!.simulator.addFault({ target: 'api', delayMs: 60_000, count: 1 });
    const stuck = call(`${running.url}/api/fortellis/service/v3/appointments/`, { cookie });
    await eventually(() => running.simulator!.simulator.stats().pendingFaultDelays === 1);
    // Expected before the stop: the cut may come while stop() is still closing the stores.
    const cut = expect(stuck).rejects.toThrow(/socket hang up|ECONNRESET/);
    await running.stop(200);
    await cut;
    expect(logs.text).toContain('server.shutdown.forced');
    await expect(running.deps.users.list()).rejects.toThrow();
  });
});

