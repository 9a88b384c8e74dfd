import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { AccessToken } from './token-client';
import { TokenEndpointError } from './token-client';

/**
 * One access token per lifetime, shared by every request. Okta-based token endpoints allow only a few
 * hundred token requests a minute (FORTELLIS.md), so a token is fetched once, reused until shortly before
 * it expires, renewed ahead of time in the background, and concurrent callers share a single request.
 */

/** Where tokens are kept between requests (and, with Redis, between instances). */
export interface TokenCache {
  get(key: string): Promise<AccessToken | undefined>;
  /** Stores the token until it expires. */
  set(key: string, token: AccessToken): Promise<void>;
  /** Deletes the token only if it is still `value`, so a newer token is never thrown away. */
  deleteIf(key: string, value: string): Promise<boolean>;
  /**
   * A single flight across processes (Redis): runs `fetch` under a fleet-wide lock, or waits for the lock
   * holder's token. Without it, the provider's in-process single flight is all there is.
   */
  renewExclusively?(key: string, fetch: () => Promise<AccessToken>, isFresh: (token: AccessToken) => boolean): Promise<AccessToken>;
}

/** The in-process cache: enough for one instance. */
export class MemoryTokenCache implements TokenCache {
  private readonly entries = new Map<string, AccessToken>();

  constructor(private readonly clock: Clock) {}

  async get(key: string): Promise<AccessToken | undefined> {
    const token = this.entries.get(key);
    if (token && token.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return token;
  }

  async set(key: string, token: AccessToken): Promise<void> {
    this.entries.set(key, token);
  }

  async deleteIf(key: string, value: string): Promise<boolean> {
    if (this.entries.get(key)?.value !== value) return false;
    this.entries.delete(key);
    return true;
  }
}

export type TokenEvent = 'hit' | 'miss' | 'renewed' | 'failed' | 'invalidated' | 'shared-cache-failed';

export interface TokenProviderOptions {
  fetchToken: () => Promise<AccessToken>;
  cache: TokenCache;
  /** Everything that changes a token (token URL, client id, scope): see tokenCacheKey(). */
  cacheKey: string;
  clock: Clock;
  /** Renew this long before the token expires. */
  refreshSkewMs: number;
  /** After a failed fetch, wait this long (doubling per failure, up to maxBackoffMs) before the next. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
  onEvent?: (event: TokenEvent) => void;
}

export class TokenProvider {
  private current: AccessToken | undefined;
  private inFlight: Promise<AccessToken> | undefined;
  private consecutiveFailures = 0;
  private nextAttemptAt = 0;
  private lastError: TokenEndpointError | undefined;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: TokenProviderOptions) {
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  /**
   * A token that works now. Fresh tokens come from memory without I/O; a token inside the refresh skew is
   * still returned while a renewal runs in the background; with no usable token, callers wait for the one
   * shared fetch. Throws TokenEndpointError (with Retry-After for transient failures).
   */
  async getToken(): Promise<AccessToken> {
    const now = this.options.clock.now();
    const token = this.current;
    if (token && now < token.expiresAt) {
      this.options.onEvent?.('hit');
      if (now >= token.expiresAt - this.options.refreshSkewMs) this.renewInBackground();
      return token;
    }
    this.options.onEvent?.('miss');
    return this.renew();
  }

  /** The token currently held in memory, if any (for metrics and status pages). */
  peek(): AccessToken | undefined {
    return this.current;
  }

  /**
   * Forgets `value` after Fortellis rejected it, unless a newer token has replaced it already: several
   * requests that failed with the same old token must not throw away the fresh one.
   */
  async invalidate(value: string): Promise<void> {
    if (this.current?.value === value) {
      this.current = undefined;
      this.options.onEvent?.('invalidated');
    }
    await this.options.cache.deleteIf(this.options.cacheKey, value).catch((error: unknown) => this.sharedCacheFailed(error));
  }

  private renewInBackground(): void {
    if (this.inFlight || this.options.clock.now() < this.nextAttemptAt) return;
    // Failures are counted and logged inside renew(); the caller already has a working token.
    this.renew().catch(() => undefined);
  }

  private renew(): Promise<AccessToken> {
    if (this.inFlight) return this.inFlight;
    const now = this.options.clock.now();
    if (now < this.nextAttemptAt && this.lastError) {
      return Promise.reject(this.lastError.withRetryAfter(Math.ceil((this.nextAttemptAt - now) / 1000)));
    }
    this.inFlight = this.loadOrFetch()
      .then(
        (token) => {
          this.current = token;
          this.consecutiveFailures = 0;
          this.nextAttemptAt = 0;
          this.lastError = undefined;
          return token;
        },
        (error: unknown) => {
          throw this.recordFailure(error);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  /**
   * Another instance may have renewed already (shared cache); otherwise ask the token endpoint, under the
   * shared cache's fleet-wide lock when it has one. A failing shared cache never stops a renewal: the token
   * is then fetched and kept locally.
   */
  private async loadOrFetch(): Promise<AccessToken> {
    const { cache, cacheKey } = this.options;
    const isFresh = (token: AccessToken) => this.options.clock.now() < token.expiresAt - this.options.refreshSkewMs;
    try {
      const cached = await cache.get(cacheKey);
      if (cached && isFresh(cached)) return cached;
    } catch (error) {
      this.sharedCacheFailed(error);
      return this.fetchAndShare(false);
    }
    if (!cache.renewExclusively) return this.fetchAndShare(true);
    let fetched = false;
    try {
      return await cache.renewExclusively(
        cacheKey,
        () => {
          fetched = true;
          return this.fetchAndShare(true);
        },
        isFresh,
      );
    } catch (error) {
      // A token endpoint failure is the answer; a cache failure before the fetch is not.
      if (fetched || error instanceof TokenEndpointError) throw error;
      this.sharedCacheFailed(error);
      return this.fetchAndShare(false);
    }
  }

  private async fetchAndShare(share: boolean): Promise<AccessToken> {
    const { clock } = this.options;
    const token = await this.options.fetchToken();
    if (share) await this.options.cache.set(this.options.cacheKey, token).catch((error: unknown) => this.sharedCacheFailed(error));
    this.options.onEvent?.('renewed');
    this.options.logger?.info(
      { event: 'fortellis.token.renewed', expiresInSeconds: Math.round((token.expiresAt - clock.now()) / 1000) },
      'Fortellis access token renewed',
    );
    return token;
  }

  private sharedCacheFailed(error: unknown): void {
    this.options.onEvent?.('shared-cache-failed');
    this.options.logger?.warn(
      { event: 'fortellis.token.shared-cache-failed', detail: (error as Error)?.message ?? String(error) },
      'shared token cache failed; using a local token',
    );
  }

  private recordFailure(error: unknown): TokenEndpointError {
    const failure =
      error instanceof TokenEndpointError
        ? error
        : new TokenEndpointError(true, { logDetail: `token renewal failed: ${String(error)}`, detail: 'The Fortellis token endpoint is not answering right now. Try again in a moment.', cause: error });
    this.consecutiveFailures += 1;
    const backoffMs = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.consecutiveFailures - 1));
    this.nextAttemptAt = this.options.clock.now() + backoffMs;
    this.lastError = failure;
    this.options.onEvent?.('failed');
    this.options.logger?.warn(
      { event: 'fortellis.token.failed', detail: failure.logDetail, consecutiveFailures: this.consecutiveFailures, retryInMs: backoffMs },
      'Fortellis access token renewal failed',
    );
    return failure.withRetryAfter(Math.ceil(backoffMs / 1000));
  }
}

/** The cache key: two configurations (token URL, client id, scope) never share a token. */
export function tokenCacheKey(parts: { tokenUrl: string; clientId: string; scope: string }): string {
  return `fortellis-token:${Buffer.from(JSON.stringify([parts.tokenUrl, parts.clientId, parts.scope])).toString('base64url')}`;
}
