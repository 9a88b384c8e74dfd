import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import type { AppDependencies } from './app';
import type { AppConfig } from './config/load';
import type { Clock } from './lib/clock';
import type { Logger } from './lib/logger';
import { createPasswordHasher, type PasswordHasher } from './auth/password';
import { UsersRepository } from './auth/users';
import { openDatabase, type OpenDatabase } from './db/database';
import { DatabaseSessionStore } from './session/database-store';
import { SubscriptionsClient } from './fortellis/subscriptions';
import { fetchClientCredentialsToken } from './fortellis/token-client';
import { MemoryTokenCache, TokenProvider, tokenCacheKey } from './fortellis/token-provider';
import { createSignInThrottle } from './auth/sign-in-throttle';
import { AppMetrics } from './http/metrics';
import { sql } from 'kysely';

export interface BuiltDependencies extends AppDependencies {
  database: OpenDatabase;
  sessionStore: DatabaseSessionStore;
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
}

/** Builds the real dependencies of the app from its configuration. server.ts and the tests share this. */
export async function buildDependencies(config: AppConfig, options: BuildOptions): Promise<BuiltDependencies> {
  const { clock, logger } = options;
  const database = await openDatabase(config.databaseUrl);
  const users = new UsersRepository(database.db, clock);
  const passwords = options.passwords ?? createPasswordHasher();
  const sessionStore = new DatabaseSessionStore({ db: database.db, clock, ttlMs: config.session.idleTimeoutMs });

  // One keep-alive pool per process for everything that talks to Fortellis.
  const agentOptions = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' as const };
  const upstreamAgent = config.fortellis.apiBaseUrl.startsWith('https:') ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const httpClient = axios.create({ httpAgent: new http.Agent(agentOptions), httpsAgent: new https.Agent(agentOptions) });

  const { fortellis } = config;
  const metrics: AppMetrics = new AppMetrics({ clock, currentToken: () => tokens.peek(), processMetrics: options.processMetrics });
  const tokens: TokenProvider = new TokenProvider({
    fetchToken: () =>
      fetchClientCredentialsToken(
        httpClient,
        { tokenUrl: fortellis.tokenUrl, clientId: fortellis.apiKey, clientSecret: fortellis.apiSecret, scope: fortellis.scope, timeoutMs: fortellis.tokenTimeoutMs },
        () => clock.now(),
      ),
    cache: new MemoryTokenCache(clock),
    cacheKey: tokenCacheKey({ tokenUrl: fortellis.tokenUrl, clientId: fortellis.apiKey, scope: fortellis.scope }),
    clock,
    refreshSkewMs: fortellis.refreshSkewMs,
    logger,
    onEvent: metrics.recordTokenEvent,
  });
  const subscriptions = new SubscriptionsClient({ http: httpClient, baseUrl: fortellis.subscriptionsUrl, tokens, clock, timeoutMs: config.proxy.timeoutMs });

  return {
    config,
    logger,
    clock,
    users,
    passwords,
    sessionStore,
    tokens,
    subscriptions,
    upstreamAgent,
    metrics,
    signInThrottle: createSignInThrottle(config.signInLimits),
    readinessChecks: [{ name: 'database', check: async () => void (await sql`select 1`.execute(database.db)) }],
    database,
    async close() {
      upstreamAgent.destroy();
      await database.close();
    },
  };
}
