import http from 'node:http';
import request from 'supertest';
import { SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET, createSimulator, startSimulator } from '../../../src/simulator';

describe('startSimulator', () => {
  it('listens on an ephemeral loopback port and derives its URLs from the bound address', async () => {
    const running = await startSimulator({ port: 0, clientId: SIMULATOR_DEFAULT_CLIENT_ID, clientSecret: SIMULATOR_DEFAULT_CLIENT_SECRET });
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(running.url).not.toBe('http://127.0.0.1:0');
      expect(running.issuer).toBe(`${running.url}/oauth2/aus-simulator`);
      expect(running.apiBaseUrl).toBe(`${running.url}/apis`);
      expect(running.subscriptionsUrl).toBe(running.url);
      expect(running.simulator.issuer).toBe(running.issuer);
    } finally {
      await running.close();
    }
  });

  it('keeps a given public URL (for a simulator behind a proxy or in compose)', async () => {
    const running = await startSimulator({
      port: 0,
      publicUrl: 'http://simulator:3001/',
      clientId: SIMULATOR_DEFAULT_CLIENT_ID,
      clientSecret: SIMULATOR_DEFAULT_CLIENT_SECRET,
    });
    try {
      expect(running.issuer).toBe('http://simulator:3001/oauth2/aus-simulator');
    } finally {
      await running.close();
    }
  });

  it('closes promptly even while a keep-alive connection is open, and may be closed twice', async () => {
    const running = await startSimulator({ port: 0, clientId: SIMULATOR_DEFAULT_CLIENT_ID, clientSecret: SIMULATOR_DEFAULT_CLIENT_SECRET });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http.get(`${running.url}/oauth2/aus-simulator/v1/keys`, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
    const started = Date.now();
    await running.close();
    await running.close();
    expect(Date.now() - started).toBeLessThan(1000);
    agent.destroy();
  });

  it('lets the app set the public URL after it starts listening', async () => {
    const simulator = await createSimulator({ clientId: 'k', clientSecret: 's' });
    simulator.setPublicUrl('http://127.0.0.1:4555');
    expect(simulator.issuer).toBe('http://127.0.0.1:4555/oauth2/aus-simulator');
    expect(() => simulator.setPublicUrl('not a url')).toThrow(/not a URL/);
  });

  it('gives each simulator its own copy of the sample data (in-process, through supertest on the app)', async () => {
    const first = await createSimulator({ clientId: 'k', clientSecret: 's' });
    const second = await createSimulator({ clientId: 'k', clientSecret: 's' });
    const tokenFor = async (app: typeof first.app) =>
      (await request(app).post('/oauth2/aus-simulator/v1/token').auth('k', 's').type('form').send({ grant_type: 'client_credentials', scope: 'anonymous' })).body
        .access_token as string;
    const headers = (token: string) => ({ Authorization: `Bearer ${token}`, 'Subscription-Id': 'test' });

    const deleted = await request(first.app).delete('/apis/service/v3/appointments/100201').set(headers(await tokenFor(first.app)));
    expect(deleted.status).toBe(204);
    const stillThere = await request(second.app).get('/apis/service/v3/appointments/100201').set(headers(await tokenFor(second.app)));
    expect(stillThere.status).toBe(200);
  });
});
