import { closeRedis, connectRedis, type RedisClient } from '../../../src/lib/redis';
import { describeWithRedis, REDIS_URL, uniqueName } from '../../support/services';

/** Keeps the event loop busy, as a burst of requests or a long GC pause does. */
function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describeWithRedis('the Redis command deadline when the event loop itself was late', () => {
  let client: RedisClient;
  const key = `${uniqueName('deadline')}:k`;
  beforeAll(async () => {
    client = await connectRedis({ url: REDIS_URL!, logger: { warn: () => undefined, info: () => undefined }, commandTimeoutMs: 50, pingIntervalMs: 0 });
    await client.set(key, 'v', { PX: 60_000 });
  });
  afterAll(async () => {
    await client.del(key);
    await closeRedis(client);
  });

  it('takes an answer that arrived while the process was busy, instead of calling it a timeout', async () => {
    // The command goes out, then the process is busy for longer than the deadline while Redis answers. The
    // block runs in the check phase, so the expired deadline's timer is the next thing the loop runs, before
    // it reads the socket: a deadline that fired there would fail a command Redis answered in time.
    const answer = await new Promise<string | null>((resolve, reject) => {
      setImmediate(() => {
        client.get(key).then(resolve, reject);
        setImmediate(() => blockEventLoop(300));
      });
    });
    expect(answer).toBe('v');
  });
});
