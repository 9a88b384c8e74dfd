import { AppMetrics } from '../../src/web/metrics';
import { FakeClock } from '../support/fake-clock';

/** The value of one sample line of the Prometheus text format. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('token event metrics', () => {
  it('counts every cache hit, though hits are handed to the counter only when it is read', async () => {
    const metrics = new AppMetrics({ clock: new FakeClock() });
    for (let i = 0; i < 3; i++) metrics.recordTokenEvent('hit');
    metrics.recordTokenEvent('miss');

    let text = await metrics.registry.metrics();
    expect(sample(text, 'fortellis_token_events_total{event="hit"}')).toBe(3);
    expect(sample(text, 'fortellis_token_events_total{event="miss"}')).toBe(1);

    // Reading again adds only what happened since: nothing counted twice.
    metrics.recordTokenEvent('hit');
    metrics.recordTokenEvent('hit');
    text = await metrics.registry.metrics();
    expect(sample(text, 'fortellis_token_events_total{event="hit"}')).toBe(5);
    text = await metrics.registry.metrics();
    expect(sample(text, 'fortellis_token_events_total{event="hit"}')).toBe(5);
  });

  it('includes pending hits when the counter itself is read', async () => {
    const metrics = new AppMetrics({ clock: new FakeClock() });
    metrics.recordTokenEvent('hit');
    const value = await metrics.tokenEvents.get();
    expect(value.values.find((v) => v.labels.event === 'hit')?.value).toBe(1);
  });

  it('still counts a shared-cache failure as a store error', async () => {
    const metrics = new AppMetrics({ clock: new FakeClock() });
    metrics.recordTokenEvent('shared-cache-failed');
    const text = await metrics.registry.metrics();
    expect(sample(text, 'fortellis_token_events_total{event="shared-cache-failed"}')).toBe(1);
    expect(sample(text, 'store_errors_total{store="token cache"}')).toBe(1);
  });
});

describe('request metrics', () => {
  it('counts requests by route, method and status, with their durations, and those in flight', async () => {
    const metrics = new AppMetrics({ clock: new FakeClock() });
    for (let i = 0; i < 3; i++) metrics.requestStarted();
    metrics.requestEnded('/api/fortellis/*', 'GET', 200, 0.004);
    metrics.requestEnded('/api/fortellis/*', 'GET', 200, 0.03);
    let text = await metrics.registry.metrics();
    expect(sample(text, 'http_requests_in_flight')).toBe(1);
    expect(sample(text, 'http_requests_total{route="/api/fortellis/*",method="GET",status="200"}')).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_bucket{le="0.005",route="/api/fortellis/*",method="GET",status="200"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_bucket{le="0.05",route="/api/fortellis/*",method="GET",status="200"}')).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_sum{route="/api/fortellis/*",method="GET",status="200"}')).toBeCloseTo(0.034);

    // Read again after one more: counted once each, not added up per scrape.
    metrics.requestEnded('/login', 'POST', 303, 0.1);
    text = await metrics.registry.metrics();
    expect(sample(text, 'http_requests_in_flight')).toBe(0);
    expect(sample(text, 'http_requests_total{route="/api/fortellis/*",method="GET",status="200"}')).toBe(2);
    expect(sample(text, 'http_requests_total{route="/login",method="POST",status="303"}')).toBe(1);
    expect((await metrics.httpRequests.get()).values).toHaveLength(2);
  });

  it('counts upstream answers by path prefix and status', async () => {
    const metrics = new AppMetrics({ clock: new FakeClock() });
    metrics.recordUpstream({ pathPrefix: '/service/v3', status: 200, durationMs: 12 });
    metrics.recordUpstream({ pathPrefix: '/service/v3', status: 200, durationMs: 8 });
    metrics.recordUpstream({ pathPrefix: '/service/v3', status: 0, durationMs: 30_000 });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'fortellis_upstream_duration_seconds_count{path_prefix="/service/v3",status="200"}')).toBe(2);
    expect(sample(text, 'fortellis_upstream_duration_seconds_bucket{le="0.01",path_prefix="/service/v3",status="200"}')).toBe(1);
    expect(sample(text, 'fortellis_upstream_duration_seconds_count{path_prefix="/service/v3",status="0"}')).toBe(1);
  });
});
