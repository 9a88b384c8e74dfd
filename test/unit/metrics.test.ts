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
