import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { AppDependencies, AppSessionStore } from './app';
import type { AppConfig } from './config/load';
import type { Clock } from './lib/clock';
import type { Logger } from './lib/logger';
import { RepeatLimiter } from './lib/repeat-limited-log';
import { closeRedis, connectRedis, type RedisClient } from './lib/redis';
import { createPasswordHasher, type PasswordHasher } from './auth/password';
import { createSignInThrottle, SECOND_FACTOR_PREFIXES, type LimiterFactory } from './auth/sign-in-throttle';
import { UsersRepository } from './auth/users';
import { AuditLog } from './auth/audit-log';
import { openDatabase, type OpenDatabase } from './db/database';
import { DatabaseSessionBackend } from './session/database-store';
import { ExpressSessionStore } from './session/express-session-store';
import { RedisSessionBackend } from './session/redis-store';
import { RedisTokenCache } from './fortellis/redis-token-cache';
import { SubscriptionsClient } from './fortellis/subscriptions';
import { fetchClientCredentialsToken } from './fortellis/token-client';
import { MemoryTokenCache, TokenProvider, tokenCacheKey, type TokenCache } from './fortellis/token-provider';
import { UpstreamPool } from './fortellis/upstream-transport';
import type { ReadinessCheck } from './web/health-routes';
import { AppMetrics } from './web/metrics';
import { MfaFactors } from './auth/mfa/factors';
import { MfaPolicyStore } from './auth/mfa/policy';
import { Passkeys, relyingPartyFor } from './auth/mfa/passkeys';
import { SecretBox } from './auth/mfa/secret-box';
import { MfaService } from './auth/mfa/service';
import { Totp } from './auth/mfa/totp';
import { AccessLogStore } from './access-log/store';
import { AccessLogWriter } from './access-log/writer';
import { systemScheduler, type Scheduler } from './lib/scheduler';

export interface BuiltDependencies extends AppDependencies {
  database: OpenDatabase;
  /** Present when REDIS_URL is set. */
  redis?: RedisClient;
  sessionStore: AppSessionStore;
  /** Closes connections and stores (graceful shutdown, end of tests). */
  close(): Promise<void>;
}

export interface BuildOptions {
  clock: Clock;
  logger: Logger;
  /** Tests use a cheaper scrypt cost. */
  passwords?: PasswordHasher;
  /** CPU, memory and event-loop metrics of the process (the server, not tests). */
  processMetrics?: boolean;
  /** Timers of background work (the access log's flushes and pruning); tests pass a fake one. */
  scheduler?: Scheduler;
}

/**
 * Builds the real dependencies of the app from its configuration; server.ts and the tests share this.
 * Without REDIS_URL everything lives in the database and in this process; with it, sessions, the token
 * cache and sign-in throttling move to Redis so that any number of instances behave as one app.
 */
export async function buildDependencies(config: AppConfig, options: BuildOptions): Promise<BuiltDependencies> {
  const { clock, logger } = options;
  const metrics: AppMetrics = new AppMetrics({ clock, currentToken: () => tokens.peek(), processMetrics: options.processMetrics });
  // A PostgreSQL restart or failover ends every connection at once: one log line a minute, every one counted.
  const connectionErrors = new RepeatLimiter(clock);
  const database = await openDatabase(config.databaseUrl, {
    onConnectionError(error) {
      metrics.storeErrors.inc({ store: 'database' });
      const decision = connectionErrors.shouldLog('database-connection');
      if (decision.log) logger.warn({ event: 'database.connection.lost', err: error, similarSinceLastLine: decision.suppressed }, 'database connection lost; the pool opens a new one');
    },
  });
  const redis = config.redisUrl ? await connectRedis({ url: config.redisUrl, logger, ...config.redis }) : undefined;
  const prefix = config.redisKeyPrefix;
  const users = new UsersRepository(database.db, clock);
  const passwords = options.passwords ?? createPasswordHasher();
  const ttlMs = config.session.idleTimeoutMs;
  const sessionStore = new ExpressSessionStore(
    redis
      ? new RedisSessionBackend({ client: redis, clock, ttlMs, prefix, logger })
      : new DatabaseSessionBackend({ db: database.db, clock, ttlMs, logger, changeCounter: database.changeCounter }),
  );

  // One keep-alive pool per process for the API proxy (undici, src/fortellis/upstream-transport.ts), and
  // node:http agents for the token and subscriptions calls (axios).
  // Up to 256 connections, and as many kept idle: under load the proxy's calls finish in batches, and every
  // socket closed on freeing is reopened a moment later (against Fortellis, a TLS handshake each).
  // Idle sockets are closed before the upstream (or a load balancer in front of it) forgets them; one it
  // forgot anyway costs an idempotent proxied call a retry on a fresh connection.
  const upstream = new UpstreamPool({
    baseUrl: config.fortellis.apiBaseUrl,
    timeoutMs: config.proxy.timeoutMs,
    idleTimeoutMs: config.proxy.freeSocketTimeoutMs,
    maxConnections: 256,
  });
  const agentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' as const, timeout: config.proxy.freeSocketTimeoutMs };
  const httpClient = axios.create({ httpAgent: new http.Agent(agentOptions), httpsAgent: new https.Agent(agentOptions) });

  const { fortellis } = config;
  const tokenCache: TokenCache = redis ? new RedisTokenCache({ client: redis, clock, prefix }) : new MemoryTokenCache(clock);
  const tokens: TokenProvider = new TokenProvider({
    fetchToken: () =>
      fetchClientCredentialsToken(
        httpClient,
        { tokenUrl: fortellis.tokenUrl, clientId: fortellis.apiKey, clientSecret: fortellis.apiSecret, scope: fortellis.scope, timeoutMs: fortellis.tokenTimeoutMs },
        () => clock.now(),
      ),
    cache: tokenCache,
    cacheKey: tokenCacheKey({ tokenUrl: fortellis.tokenUrl, clientId: fortellis.apiKey, scope: fortellis.scope }),
    clock,
    refreshSkewMs: fortellis.refreshSkewMs,
    logger,
    onEvent: metrics.recordTokenEvent,
  });
  const subscriptions = new SubscriptionsClient({ http: httpClient, baseUrl: fortellis.subscriptionsUrl, tokens, clock, timeoutMs: config.proxy.timeoutMs });

  // With Redis, throttling counters are shared; while Redis is down, an in-memory limiter stands in.
  const limiterFactory: LimiterFactory | undefined = redis
    ? (limits) =>
        new RateLimiterRedis({ ...limits, keyPrefix: `${prefix}${limits.keyPrefix}`, storeClient: redis, useRedisPackage: true, insuranceLimiter: new RateLimiterMemory(limits) })
    : undefined;

  // Reachable is not enough: a database that refuses writes (read-only, locked) cannot keep a session.
  const readinessChecks: ReadinessCheck[] = [{ name: 'database', check: () => database.checkWritable() }];
  if (redis) readinessChecks.push({ name: 'redis', check: async () => void (await redis.ping()) });

  // Second factors (issue 16): TOTP secrets sealed with MFA_ENCRYPTION_KEY, passkeys bound to PUBLIC_URL,
  // attempts throttled like passwords but counted apart.
  const mfaPolicy = new MfaPolicyStore(database.db, clock);
  const mfa = new MfaService({
    factors: new MfaFactors(database.db, clock),
    policy: mfaPolicy,
    passkeys: new Passkeys(relyingPartyFor(config.publicUrl, 'Fortellis BFF')),
    totp: new Totp(clock, 'Fortellis BFF'),
    secretBox: config.mfa.encryptionKeys ? new SecretBox(config.mfa.encryptionKeys) : undefined,
    throttle: createSignInThrottle(config.signInLimits, limiterFactory, SECOND_FACTOR_PREFIXES),
    clock,
  });
  // On SQLite in a file the batches are written by a worker thread (src/db/sqlite-write-thread.ts).
  const accessLogStore = new AccessLogStore(database.db, database.writeThread);
  const accessLogWriter = new AccessLogWriter({ sink: accessLogStore, clock, scheduler: options.scheduler ?? systemScheduler, logger, registry: metrics.registry, ...config.accessLog });
  accessLogWriter.start();

  return {
    config,
    logger,
    clock,
    users,
    passwords,
    sessionStore,
    tokens,
    subscriptions,
    upstream,
    metrics,
    audit: new AuditLog(database.db, clock),
    signInThrottle: createSignInThrottle(config.signInLimits, limiterFactory),
    readinessChecks,
    mfa,
    mfaPolicy,
    accessLog: { writer: accessLogWriter, store: accessLogStore },
    database,
    redis,
    async close() {
      // Whatever the access log still holds goes to the database before it closes.
      await accessLogWriter.close();
      await upstream.close();
      if (redis) await closeRedis(redis);
      await database.close();
    },
  };
}
