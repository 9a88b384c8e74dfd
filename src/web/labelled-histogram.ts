import type { Metric, Registry } from 'prom-client';

/** One label set's figures: observations per bucket (not yet cumulative), their sum and their count. */
interface Series {
  labels: Record<string, string>;
  /** One slot per upper bound; observations above the last bound are only in `count`. */
  buckets: number[];
  sum: number;
  count: number;
}

type Level = Map<string, Level | Series>;

/**
 * A Prometheus histogram with labels, for the figures every request records. prom-client's Histogram, on
 * every observation, builds a closure and an object, turns the labels into a string key and looks that
 * string up in an object used as a dictionary (a proxied call made two observations and a labelled counter
 * increment: 2-3 % of its CPU, and a build without any metrics calls cost no less than one with these; README,
 * "Performance"). Here each label's value leads to the next level of a Map, the last to the series, and an
 * observation is a few comparisons and additions.
 *
 * It is registered in the app's prom-client registry and answers the registry as a prom-client histogram
 * does (`getForPromString`, `get`, `reset`), so /metrics reads exactly as before (a test compares the two
 * texts). Label values are given in `labelNames` order; the caller keeps their number bounded, as for any
 * metric. A value that is not a finite number is not counted (prom-client throws; here the caller is a
 * response's 'close' listener, where a throw would end the process).
 */
export class LabelledHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private root: Level = new Map();
  private series: Series[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    if (labelNames.length === 0) throw new Error(`${name}: a LabelledHistogram needs at least one label`);
    registry.registerMetric(this as unknown as Metric);
  }

  /** Counts `value` for the label values `labelValues` (in labelNames order). */
  observe(labelValues: readonly string[], value: number): void {
    if (!Number.isFinite(value)) return;
    let level = this.root;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(labelValues[i]!) as Level | undefined;
      if (!next) {
        next = new Map();
        level.set(labelValues[i]!, next);
      }
      level = next;
    }
    let series = level.get(labelValues[last]!) as Series | undefined;
    if (!series) {
      series = this.newSeries(labelValues);
      level.set(labelValues[last]!, series);
    }
    // As prom-client: a value belongs to the first bucket whose upper bound it does not exceed.
    const bounds = this.upperBounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    if (bucket < bounds.length) series.buckets[bucket]! += 1;
    series.sum += value;
    series.count += 1;
  }

  /** Every label set seen, with its count (for a counter of the same events). */
  counts(): Array<{ labels: Readonly<Record<string, string>>; count: number }> {
    return this.series.map(({ labels, count }) => ({ labels, count }));
  }

  /**
   * prom-client's metric protocol, in its Histogram's own shapes: the registry formats /metrics from this
   * (each series' labels beside `le`)...
   */
  async getForPromString() {
    const values: Array<{ labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string; exemplar?: null }> = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.series) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += series.buckets[i]!;
        values.push({ labels: { le }, sharedLabels: series.labels, value: cumulative, metricName: bucketName, exemplar: null });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: series.labels, value: series.count, metricName: bucketName, exemplar: null });
      values.push({ labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** ...and its JSON (getMetricsAsJSON) from this: each value's labels with the series' merged in. */
  async get() {
    const metric = await this.getForPromString();
    return { ...metric, values: metric.values.map(({ sharedLabels, labels, ...value }) => ({ ...value, labels: { ...labels, ...sharedLabels } })) };
  }

  reset(): void {
    this.root = new Map();
    this.series = [];
  }

  private newSeries(labelValues: readonly string[]): Series {
    const labels: Record<string, string> = {};
    this.labelNames.forEach((name, i) => (labels[name] = labelValues[i]!));
    const series: Series = { labels, buckets: this.upperBounds.map(() => 0), sum: 0, count: 0 };
    this.series.push(series);
    return series;
  }
}
