import express from 'express';
import request from 'supertest';
import { capRequestsInFlight } from '../../src/web/in-flight-cap';
import { errorHandler } from '../../src/web/error-handler';
import { createLogger } from '../../src/lib/logger';
import { LogCapture } from '../support/log-capture';
import { eventually, listen } from '../support/listen';

describe('the cap on requests in flight', () => {
  it('answers 503 problem JSON with Retry-After over the cap, and takes requests again once some finish', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let waiting = 0;
    const app = express();
    app.use(capRequestsInFlight(2));
    app.get('/api/slow', async (_req, res) => {
      waiting += 1;
      await released;
      res.json({ ok: true });
    });
    app.use(errorHandler({ logger: createLogger({ level: 'info', destination: new LogCapture() }), views: { render: (res) => res.send('page') }, clock: { now: () => 0 } }));
    const server = await listen(app);
    try {
      const held = [request(server.url).get('/api/slow'), request(server.url).get('/api/slow')].map((r) => r.then((res) => res.status));
      await eventually(() => waiting === 2);

      const refused = await request(server.url).get('/api/slow').expect(503);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body).toMatchObject({ status: 503, type: 'urn:fortellis-bff:problem:overloaded' });

      release();
      expect(await Promise.all(held)).toEqual([200, 200]);
      await request(server.url).get('/api/slow').expect(200);
    } finally {
      release();
      await server.close();
    }
  });
});
