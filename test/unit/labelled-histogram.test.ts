import { Histogram, Registry } from 'prom-client';
import { LabelledHistogram } from '../../src/web/labelled-histogram';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const LABELS = ['route', 'method', 'status'] as const;

/** The same observations into prom-client's Histogram and into a LabelledHistogram, each in a registry of its own. */
function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({ name: 'h_seconds', help: 'Help text.', labelNames: LABELS, buckets: BUCKETS, registers: [theirs] });
  const histogram = new LabelledHistogram('h_seconds', 'Help text.', LABELS, BUCKETS, ours);
  const observe = (route: string, method: string, status: string, value: number) => {
    reference.observe({ route, method, status }, value);
    histogram.observe([route, method, status], value);
  };
  return { theirs, ours, histogram, observe };
}

describe('LabelledHistogram', () => {
  it("reads in /metrics exactly as prom-client's Histogram with the same observations", async () => {
    const { theirs, ours, observe } = both();
    // Values on the bounds, between them, above the last one, zero; label sets sharing a prefix.
    const values = [0, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.99, 1, 1.5, 30];
    values.forEach((value, i) => observe('/api/fortellis/*', 'GET', '200', value * (1 + (i % 3) / 1e9)));
    observe('/api/fortellis/*', 'GET', '502', 0.2);
    observe('/api/fortellis/*', 'POST', '200', 0.003);
    observe('/login', 'GET', '200', 0.0005);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it('counts each label set, and reset empties it as a registry reset does', async () => {
    const { theirs, ours, histogram, observe } = both();
    observe('/a', 'GET', '200', 0.5);
    observe('/a', 'GET', '200', 0.2);
    observe('/a', 'GET', '404', 0.2);
    expect(histogram.counts()).toEqual([
      { labels: { route: '/a', method: 'GET', status: '200' }, count: 2 },
      { labels: { route: '/a', method: 'GET', status: '404' }, count: 1 },
    ]);
    theirs.resetMetrics();
    ours.resetMetrics();
    expect(histogram.counts()).toEqual([]);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    observe('/b', 'GET', '200', 0.5);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('does not count a value that is not a finite number, and does not throw', async () => {
    const { histogram } = both();
    for (const value of [NaN, Infinity, -Infinity]) expect(() => histogram.observe(['/a', 'GET', '200'], value)).not.toThrow();
    expect(histogram.counts()).toEqual([]);
    histogram.observe(['/a', 'GET', '200'], 0.2);
    expect(histogram.counts()).toEqual([{ labels: { route: '/a', method: 'GET', status: '200' }, count: 1 }]);
  });

  it('refuses a second metric of the same name in a registry, as prom-client does', () => {
    const registry = new Registry();
    new LabelledHistogram('dup_seconds', 'x', ['a'], BUCKETS, registry);
    expect(() => new LabelledHistogram('dup_seconds', 'x', ['a'], BUCKETS, registry)).toThrow(/already been registered/);
  });
});
