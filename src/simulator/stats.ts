import type { Request } from 'express';
import type { Clock } from '../lib/clock';

/**
 * Counters and the last API request, so integration tests can check how often the app fetched a token
 * (one per lifetime is the design) and exactly what it sent to Fortellis.
 */

/** The last API request as the simulator received it. */
export interface LastApiRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Path with the query string, as sent. */
  url: string;
  query: Record<string, string | string[]>;
  /** Every received header, names lower-cased. */
  headers: Record<string, string | string[]>;
  /** The parsed JSON body, or null when there was none. */
  body: unknown;
  receivedAt: string;
}

export interface SimulatorStats {
  /** Every request to the token endpoint, failed ones included. */
  tokenRequests: number;
  /** Access tokens issued (client-credentials and implicit). */
  tokensIssued: number;
  /** Requests for the signing keys (JWKS). */
  keysRequests: number;
  /** GET and POST requests to the authorize endpoint. */
  authorizeRequests: number;
  /** Every API and subscriptions request, refused ones included. */
  apiRequests: number;
  /** Requests that a configured fault changed (delayed, failed or dropped). */
  faultsApplied: number;
  /** Delays of faults still waiting to answer. */
  pendingFaultDelays: number;
  /** When tokens were last expired early by `expire-tokens`, or null. */
  tokensExpiredBefore: string | null;
  lastApiRequest: LastApiRequest | null;
}

type Counters = Pick<
  SimulatorStats,
  'tokenRequests' | 'tokensIssued' | 'keysRequests' | 'authorizeRequests' | 'apiRequests' | 'faultsApplied'
>;

const zeroCounters = (): Counters => ({
  tokenRequests: 0,
  tokensIssued: 0,
  keysRequests: 0,
  authorizeRequests: 0,
  apiRequests: 0,
  faultsApplied: 0,
});

export class StatsRecorder {
  private counters = zeroCounters();
  private lastApi: LastApiRequest | null = null;

  constructor(private readonly clock: Clock) {}

  countTokenRequest(): void {
    this.counters.tokenRequests += 1;
  }

  countTokenIssued(): void {
    this.counters.tokensIssued += 1;
  }

  countKeysRequest(): void {
    this.counters.keysRequests += 1;
  }

  countAuthorizeRequest(): void {
    this.counters.authorizeRequests += 1;
  }

  countFaultApplied(): void {
    this.counters.faultsApplied += 1;
  }

  /**
   * Counts an API request and remembers it as the last one. The returned record is live: the gateway
   * adds the body to it once parsed.
   */
  recordApiRequest(req: Request): LastApiRequest {
    this.counters.apiRequests += 1;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = value;
    this.lastApi = {
      method: req.method,
      path: req.originalUrl.split('?')[0],
      url: req.originalUrl,
      query: { ...(req.query as Record<string, string | string[]>) },
      headers,
      body: null,
      receivedAt: new Date(this.clock.now()).toISOString(),
    };
    return this.lastApi;
  }

  /** A copy of the counters; the caller adds what lives elsewhere (pending delays, expiry time). */
  snapshot(extra: Pick<SimulatorStats, 'pendingFaultDelays' | 'tokensExpiredBefore'>): SimulatorStats {
    return { ...this.counters, ...extra, lastApiRequest: this.lastApi ? structuredClone(this.lastApi) : null };
  }

  reset(): void {
    this.counters = zeroCounters();
    this.lastApi = null;
  }
}
