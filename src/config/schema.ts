import { z } from 'zod';
import { booleanFlag, httpUrl, port, positiveInt, sharedSimulatorEnv } from '../core/env-schema';
import { parseForwardHeaders } from '../fortellis/header-policy';

/**
 * The environment, as one zod schema. Every variable here is documented in `.env.example` and the README's
 * configuration table; rules that involve several variables live in `load.ts`.
 */

const databaseUrl = z
  .string()
  .refine((value) => /^sqlite:/.test(value) || /^postgres(ql)?:\/\//.test(value), 'must start with sqlite: or postgres://');

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  ...sharedSimulatorEnv,
  PUBLIC_URL: httpUrl.optional(),
  ALLOWED_HOSTS: z.string().optional(),
  SESSION_SECRET: z.string().optional(),
  SESSION_IDLE_TIMEOUT_SECONDS: positiveInt('seconds').default(30 * 60),
  SESSION_ABSOLUTE_TIMEOUT_SECONDS: positiveInt('seconds').default(12 * 60 * 60),
  DATABASE_URL: databaseUrl.default('sqlite:./data/app.db'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[\w:.-]{1,64}$/, 'must be 1 to 64 letters, digits or _ : . -').default('fbff:'),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt('milliseconds').default(1000),
  REDIS_PING_INTERVAL_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').min(0, 'must not be negative').default(5000),
  MAX_REQUESTS_IN_FLIGHT: positiveInt('requests').default(1000),
  FORTELLIS_API_KEY: z.string().optional(),
  FORTELLIS_API_SECRET: z.string().optional(),
  FORTELLIS_ISSUER: httpUrl.default('https://identity.fortellis.io/oauth2/aus1p1ixy7YL8cMq02p7'),
  FORTELLIS_AUTHORIZE_URL: httpUrl.optional(),
  FORTELLIS_API_BASE_URL: httpUrl.default('https://api.fortellis.io'),
  FORTELLIS_SUBSCRIPTIONS_URL: httpUrl.default('https://subscriptions.fortellis.io'),
  FORTELLIS_SCOPE: z.string().min(1).default('anonymous'),
  FORTELLIS_SIMULATOR: booleanFlag.optional(),
  FORTELLIS_TOKEN_TIMEOUT_MS: positiveInt('milliseconds').default(5000),
  IMPLICIT_REDIRECT_URI: httpUrl.optional(),
  PROXY_ALLOWED_PATHS: z.string().optional(),
  PROXY_TIMEOUT_MS: positiveInt('milliseconds').default(10000),
  PROXY_BODY_LIMIT_BYTES: positiveInt('bytes').default(1024 * 1024),
  PROXY_BODY_TIMEOUT_MS: positiveInt('milliseconds').default(10000),
  // Below the idle timeouts of what sits in front of an API (Node servers 5 s, load balancers 60 s and more).
  PROXY_FREE_SOCKET_TIMEOUT_MS: positiveInt('milliseconds').default(4000),
  PROXY_FORWARD_HEADERS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      try {
        return parseForwardHeaders(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt('milliseconds').default(10000),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt('milliseconds').default(30000),
  TOKEN_REFRESH_SKEW_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(0, 'must not be negative')
    .default(60),
  LOGIN_MAX_FAILURES_PER_USERNAME: positiveInt('attempts').default(5),
  LOGIN_MAX_FAILURES_PER_ADDRESS: positiveInt('attempts').default(50),
  LOGIN_THROTTLE_WINDOW_SECONDS: positiveInt('seconds').default(15 * 60),
  // Multi-factor sign-in and the access log (issue 16).
  MFA_ENCRYPTION_KEY: z.string().optional(),
  ACCESS_LOG_RETENTION_DAYS: positiveInt('days').default(365),
  ACCESS_LOG_FLUSH_INTERVAL_MS: positiveInt('milliseconds').default(1000),
  ACCESS_LOG_BATCH_SIZE: positiveInt('entries').default(1024),
  ACCESS_LOG_BUFFER_LIMIT: positiveInt('entries').default(20000),
  METRICS_BEARER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TRUST_PROXY: z.string().default('false'),
  COOKIE_SECURE: z.enum(['auto', 'true', 'false'], { error: 'must be auto, true or false' }).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;
