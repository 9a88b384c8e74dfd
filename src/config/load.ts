import { randomBytes } from 'node:crypto';
import { envSchema, type Env } from './schema';
import { allowedHostNames, parseAllowedHosts } from './allowed-hosts';
import { parseAllowedPaths, type PathRule } from '../fortellis/path-policy';
import { parseEncryptionKeys, SIMULATOR_MFA_KEY } from '../auth/mfa/secret-box';
import { withoutEmptyValues } from '../core/env-schema';
import { SIMULATOR_API_PATH, SIMULATOR_DEFAULT_CLIENT_SECRET, SIMULATOR_ISSUER_PATH } from '../core/simulator-contract';

const MIN_SECRET_BYTES = 32;

export interface FortellisConfig {
  apiKey: string;
  apiSecret: string;
  issuer: string;
  tokenUrl: string;
  authorizeUrl: string;
  keysUrl: string;
  apiBaseUrl: string;
  subscriptionsUrl: string;
  scope: string;
  tokenTimeoutMs: number;
  refreshSkewMs: number;
}

export interface AppConfig {
  nodeEnv: Env['NODE_ENV'];
  host: string;
  port: number;
  /** Origin users reach the app at, without a trailing slash. */
  publicUrl: string;
  /** Host names requests may carry (PUBLIC_URL's, ALLOWED_HOSTS, loopback in simulator/dev mode). */
  allowedHosts: string[];
  simulator: { enabled: boolean; port: number; clientId: string; clientSecret: string };
  session: {
    /** First one signs new cookies; the rest still verify (rotation). */
    secrets: string[];
    idleTimeoutMs: number;
    absoluteTimeoutMs: number;
    cookieSecure: boolean;
    cookieName: string;
  };
  databaseUrl: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  /** Deadline of every Redis command, and how often an idle connection is checked (0: never). */
  redis: { commandTimeoutMs: number; pingIntervalMs: number };
  /** Requests handled at once; more are answered 503 at once rather than queued. */
  maxRequestsInFlight: number;
  fortellis: FortellisConfig;
  proxy: {
    timeoutMs: number;
    bodyLimitBytes: number;
    bodyTimeoutMs: number;
    freeSocketTimeoutMs: number;
    /** Extra request headers passed through (lower-case). */
    forwardHeaders: string[];
    allowedPaths: PathRule[] | null;
  };
  /** Bounds on how long a client may take to send a request (slowloris). */
  http: { headersTimeoutMs: number; requestTimeoutMs: number };
  implicit: { redirectUri: string };
  signInLimits: { maxFailuresPerUsername: number; maxFailuresPerAddress: number; windowSeconds: number };
  /** TOTP secret keys (the first seals); absent: no TOTP (outside simulator mode without MFA_ENCRYPTION_KEY). */
  mfa: { encryptionKeys: Buffer[] | undefined };
  accessLog: { retentionMs: number; flushIntervalMs: number; batchSize: number; bufferLimit: number };
  metricsBearerToken?: string;
  trustProxy: boolean | number | string;
  logLevel: Env['LOG_LEVEL'];
}

/** Thrown with every configuration problem at once, each in plain words. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // a list of addresses or subnets, as Express understands it
}

function fortellisEndpoints(issuer: string) {
  return { issuer, tokenUrl: `${issuer}/v1/token`, authorizeUrl: `${issuer}/v1/authorize`, keysUrl: `${issuer}/v1/keys` };
}

/**
 * Validates the environment and derives the app's settings. Throws a ConfigError that lists every
 * problem, so an operator fixes them all in one go.
 */
export function loadConfig(rawEnv: NodeJS.ProcessEnv): AppConfig {
  const parsed = envSchema.safeParse(withoutEmptyValues(rawEnv));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`));
  }
  const env = parsed.data;
  const problems: string[] = [];

  const simulatorEnabled = env.FORTELLIS_SIMULATOR ?? !env.FORTELLIS_API_KEY;
  const production = env.NODE_ENV === 'production';
  if (simulatorEnabled && production) {
    problems.push(
      'FORTELLIS_SIMULATOR is on (or FORTELLIS_API_KEY is missing) but NODE_ENV=production: set FORTELLIS_API_KEY and FORTELLIS_API_SECRET to your Fortellis app credentials',
    );
  }

  const simulatorClientId = env.SIMULATOR_CLIENT_ID;
  const simulatorClientSecret = env.SIMULATOR_CLIENT_SECRET;

  if (!simulatorEnabled) {
    if (!env.FORTELLIS_API_SECRET) problems.push('FORTELLIS_API_SECRET is required when FORTELLIS_API_KEY is set');
    if (!env.SESSION_SECRET) problems.push(`SESSION_SECRET is required outside simulator mode (at least ${MIN_SECRET_BYTES} random bytes)`);
  }
  if (production && env.FORTELLIS_API_SECRET === SIMULATOR_DEFAULT_CLIENT_SECRET) {
    problems.push('FORTELLIS_API_SECRET is the simulator demo secret, which is refused when NODE_ENV=production');
  }
  if (production && !env.PUBLIC_URL) {
    problems.push('PUBLIC_URL is required when NODE_ENV=production (the https URL users open)');
  }

  const sessionSecrets = (env.SESSION_SECRET ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const [index, secret] of sessionSecrets.entries()) {
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES && !simulatorEnabled) {
      problems.push(`SESSION_SECRET entry ${index + 1} is shorter than ${MIN_SECRET_BYTES} bytes`);
    }
  }
  // Simulator mode without a secret: a random one per process (sessions end when the process restarts).
  if (sessionSecrets.length === 0) sessionSecrets.push(randomBytes(32).toString('base64url'));

  let allowedPaths: PathRule[] | null = null;
  if (env.PROXY_ALLOWED_PATHS) {
    try {
      allowedPaths = parseAllowedPaths(env.PROXY_ALLOWED_PATHS);
    } catch (error) {
      problems.push(`PROXY_ALLOWED_PATHS ${(error as Error).message}`);
    }
  }

  // Node refuses a headers timeout longer than the whole-request timeout.
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS must not be longer than HTTP_REQUEST_TIMEOUT_MS');
  }

  if (env.SESSION_ABSOLUTE_TIMEOUT_SECONDS < env.SESSION_IDLE_TIMEOUT_SECONDS) {
    problems.push('SESSION_ABSOLUTE_TIMEOUT_SECONDS must not be shorter than SESSION_IDLE_TIMEOUT_SECONDS');
  }

  let extraHosts: string[] = [];
  if (env.ALLOWED_HOSTS) {
    try {
      extraHosts = parseAllowedHosts(env.ALLOWED_HOSTS);
    } catch (error) {
      problems.push(`ALLOWED_HOSTS ${(error as Error).message}`);
    }
  }

  // TOTP secrets are kept encrypted with this key (src/auth/mfa/secret-box.ts). Without it, outside simulator
  // mode, TOTP is off (passkeys and recovery codes still work): better than a key the app makes up.
  let mfaEncryptionKeys: Buffer[] | undefined;
  if (env.MFA_ENCRYPTION_KEY) {
    try {
      mfaEncryptionKeys = parseEncryptionKeys(env.MFA_ENCRYPTION_KEY);
    } catch (error) {
      problems.push(`MFA_ENCRYPTION_KEY ${(error as Error).message}`);
    }
  } else if (simulatorEnabled) mfaEncryptionKeys = [SIMULATOR_MFA_KEY];

  if (problems.length > 0) throw new ConfigError(problems);

  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
  const cookieSecure = env.COOKIE_SECURE === 'auto' ? publicUrl.startsWith('https:') : env.COOKIE_SECURE === 'true';
  // Simulator URLs are filled in by pointAtSimulator() once the simulator listens.
  const simulatorBase = `http://127.0.0.1:${env.SIMULATOR_PORT}`;
  const issuer = simulatorEnabled ? `${simulatorBase}${SIMULATOR_ISSUER_PATH}` : env.FORTELLIS_ISSUER;

  return {
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    publicUrl,
    allowedHosts: allowedHostNames({ publicUrl, extra: extraHosts, allowLocal: simulatorEnabled || env.NODE_ENV === 'development' }),
    simulator: { enabled: simulatorEnabled, port: env.SIMULATOR_PORT, clientId: simulatorClientId, clientSecret: simulatorClientSecret },
    session: {
      secrets: sessionSecrets,
      idleTimeoutMs: env.SESSION_IDLE_TIMEOUT_SECONDS * 1000,
      absoluteTimeoutMs: env.SESSION_ABSOLUTE_TIMEOUT_SECONDS * 1000,
      cookieSecure,
      // The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2).
      cookieName: cookieSecure ? '__Host-fbff.sid' : 'fbff.sid',
    },
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    redis: { commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS, pingIntervalMs: env.REDIS_PING_INTERVAL_MS },
    maxRequestsInFlight: env.MAX_REQUESTS_IN_FLIGHT,
    fortellis: {
      apiKey: simulatorEnabled ? simulatorClientId : env.FORTELLIS_API_KEY!,
      apiSecret: simulatorEnabled ? simulatorClientSecret : env.FORTELLIS_API_SECRET!,
      ...fortellisEndpoints(issuer),
      // Browsers may reach the identity server at another address than the app does (docker compose).
      ...(env.FORTELLIS_AUTHORIZE_URL ? { authorizeUrl: env.FORTELLIS_AUTHORIZE_URL } : {}),
      apiBaseUrl: simulatorEnabled ? `${simulatorBase}${SIMULATOR_API_PATH}` : env.FORTELLIS_API_BASE_URL,
      subscriptionsUrl: simulatorEnabled ? simulatorBase : env.FORTELLIS_SUBSCRIPTIONS_URL,
      scope: env.FORTELLIS_SCOPE,
      tokenTimeoutMs: env.FORTELLIS_TOKEN_TIMEOUT_MS,
      refreshSkewMs: env.TOKEN_REFRESH_SKEW_SECONDS * 1000,
    },
    proxy: {
      timeoutMs: env.PROXY_TIMEOUT_MS,
      bodyLimitBytes: env.PROXY_BODY_LIMIT_BYTES,
      bodyTimeoutMs: env.PROXY_BODY_TIMEOUT_MS,
      freeSocketTimeoutMs: env.PROXY_FREE_SOCKET_TIMEOUT_MS,
      forwardHeaders: env.PROXY_FORWARD_HEADERS,
      allowedPaths,
    },
    http: { headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS },
    implicit: { redirectUri: env.IMPLICIT_REDIRECT_URI ?? `${publicUrl}/implicit/` },
    signInLimits: {
      maxFailuresPerUsername: env.LOGIN_MAX_FAILURES_PER_USERNAME,
      maxFailuresPerAddress: env.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: env.LOGIN_THROTTLE_WINDOW_SECONDS,
    },
    metricsBearerToken: env.METRICS_BEARER_TOKEN,
    mfa: { encryptionKeys: mfaEncryptionKeys },
    accessLog: {
      retentionMs: env.ACCESS_LOG_RETENTION_DAYS * 24 * 60 * 60_000,
      flushIntervalMs: env.ACCESS_LOG_FLUSH_INTERVAL_MS,
      batchSize: env.ACCESS_LOG_BATCH_SIZE,
      bufferLimit: env.ACCESS_LOG_BUFFER_LIMIT,
    },
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    logLevel: env.LOG_LEVEL,
  };
}

/**
 * Points the Fortellis URLs at a simulator that listens at `baseUrl` (known only once it listens): identity
 * and subscriptions at its root, the business APIs below `/apis`, as Fortellis serves them on hosts of
 * their own. The proxy can reach only what is below the API base URL, never the subscriptions of other
 * dealers or the simulator's controls.
 */
export function pointAtSimulator(config: AppConfig, baseUrl: string): AppConfig {
  return {
    ...config,
    fortellis: {
      ...config.fortellis,
      ...fortellisEndpoints(`${baseUrl}${SIMULATOR_ISSUER_PATH}`),
      apiBaseUrl: `${baseUrl}${SIMULATOR_API_PATH}`,
      subscriptionsUrl: baseUrl,
    },
  };
}
