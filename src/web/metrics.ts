import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RequestHandler } from 'express';
import type { Clock } from '../lib/clock';
import type { AccessToken } from '../fortellis/token-client';
import type { TokenEvent } from '../fortellis/token-provider';
import { tokensMatch } from './csrf';
import { LabelledHistogram } from './labelled-histogram';

/**
 * Prometheus metrics (prom-client), one registry per app so that tests never share counters. Label values
 * are bounded: routes are route patterns, never raw paths, and upstream path prefixes beyond a fixed number
 * fold into "other", so a client cannot grow the metrics without end.
 */

const MAX_UPSTREAM_PREFIXES = 50;

export type SignInResult = 'success' | 'failure' | 'throttled';

export interface MetricsOptions {
  clock: Clock;
  /** The token currently held, for its age. */
  currentToken?: () => AccessToken | undefined;
  /** Process metrics (CPU, memory, event loop lag); the server turns them on, tests leave them off. */
  processMetrics?: boolean;
}

export class AppMetrics {
  readonly registry = new Registry();
  private readonly upstreamPrefixes = new Set<string>();

  /**
   * The per-request figures are kept in LabelledHistograms (a proxied call records two): prom-client's
   * Histogram costs about a µs per observation under load. The request counter is the duration histogram's
   * count per label set, handed to prom-client when it is read (a scrape, get()).
   */
  readonly httpDuration = new LabelledHistogram(
    'http_request_duration_seconds',
    'Time to answer HTTP requests, by route pattern, method and status.',
    ['route', 'method', 'status'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    this.registry,
  );

  readonly httpRequests: Counter<'route' | 'method' | 'status'> = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
    collect: () => {
      this.httpRequests.reset();
      for (const { labels, count } of this.httpDuration.counts()) this.httpRequests.inc(labels, count);
    },
  });

  /** Requests being handled (requestStarted/requestEnded): a plain number, read by the gauge when scraped. */
  private requestsInFlight = 0;

  readonly inFlight: Gauge = new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being handled right now.',
    registers: [this.registry],
    collect: () => this.inFlight.set(this.requestsInFlight),
  });

  readonly upstreamDuration = new LabelledHistogram(
    'fortellis_upstream_duration_seconds',
    'Time Fortellis took to answer proxied calls, by API path prefix and status (0: no answer).',
    ['path_prefix', 'status'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    this.registry,
  );

  /** Token cache hits not yet added to tokenEvents (see recordTokenEvent). */
  private pendingTokenHits = 0;

  readonly tokenEvents: Counter<'event'> = new Counter({
    name: 'fortellis_token_events_total',
    help: 'Token cache events: hit, miss, renewed, failed, invalidated, shared-cache-failed.',
    labelNames: ['event'] as const,
    registers: [this.registry],
    // Runs before every read of the counter (a scrape, get()): the hits counted since are added then.
    collect: () => this.flushTokenHits(),
  });

  readonly signIns = new Counter({
    name: 'sign_ins_total',
    help: 'Sign-in attempts by result: success, failure, throttled.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly storeErrors = new Counter({
    name: 'store_errors_total',
    help: 'Errors from the session store, token cache or database.',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  constructor(options: MetricsOptions) {
    const { clock, currentToken } = options;
    new Gauge({
      name: 'fortellis_token_age_seconds',
      help: 'Age of the access token held in memory (absent when there is none).',
      registers: [this.registry],
      collect() {
        const token = currentToken?.();
        this.reset();
        if (token) this.set((clock.now() - token.obtainedAt) / 1000);
      },
    });
    new Gauge({
      name: 'fortellis_token_expires_in_seconds',
      help: 'Seconds until the access token held in memory expires (absent when there is none).',
      registers: [this.registry],
      collect() {
        const token = currentToken?.();
        this.reset();
        if (token) this.set((token.expiresAt - clock.now()) / 1000);
      },
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Every proxied call is a token cache 'hit': those are summed in a plain number and handed to prom-client
   * when the counter is read, because a labelled inc() hashes its labels on every call. Rare events go
   * straight in.
   */
  recordTokenEvent = (event: TokenEvent): void => {
    if (event === 'hit') {
      this.pendingTokenHits += 1;
      return;
    }
    this.tokenEvents.inc({ event });
    if (event === 'shared-cache-failed') this.storeErrors.inc({ store: 'token cache' });
  };

  private flushTokenHits(): void {
    if (this.pendingTokenHits === 0) return;
    this.tokenEvents.inc({ event: 'hit' }, this.pendingTokenHits);
    this.pendingTokenHits = 0;
  }

  recordUpstream = (info: { pathPrefix: string; status: number; durationMs: number }): void => {
    let prefix = info.pathPrefix;
    if (!this.upstreamPrefixes.has(prefix)) {
      if (this.upstreamPrefixes.size >= MAX_UPSTREAM_PREFIXES) prefix = 'other';
      else this.upstreamPrefixes.add(prefix);
    }
    this.upstreamDuration.observe([prefix, String(info.status)], info.durationMs / 1000);
  };

  requestStarted(): void {
    this.requestsInFlight += 1;
  }

  /** A request has been answered (or abandoned): its duration, by route pattern, method and status. */
  requestEnded(route: string, method: string, status: number, seconds: number): void {
    this.requestsInFlight -= 1;
    this.httpDuration.observe([route, method, String(status)], seconds);
  }
}

/**
 * `GET /metrics` in the Prometheus text format. With a bearer token configured, scrapers must send it:
 * the figures are not secret, but they tell an outsider more than they need to know.
 */
export function metricsEndpoint(metrics: AppMetrics, bearerToken: string | undefined): RequestHandler {
  return async (req, res) => {
    if (bearerToken && !tokensMatch(`Bearer ${bearerToken}`, req.headers.authorization)) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer').type('text/plain').send('metrics need a bearer token\n');
      return;
    }
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  };
}

/**
 * Outside simulator mode the figures (traffic, error rates, token renewals) are for the operator's scraper
 * only, so without METRICS_BEARER_TOKEN they are not served at all. Simulator mode (a laptop) serves them
 * to anyone unless a token is set.
 */
export function metricsAreOff(config: { simulator: { enabled: boolean }; metricsBearerToken?: string }): boolean {
  return !config.simulator.enabled && !config.metricsBearerToken;
}

/** Stands in front of `GET /metrics` while metrics are off: a plain 404 that says how to turn them on. */
export const metricsOff: RequestHandler = (_req, res) => {
  res.status(404).type('text/plain').send('metrics are off outside simulator mode until METRICS_BEARER_TOKEN is set\n');
};
