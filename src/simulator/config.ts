import { z } from 'zod';
import { SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET } from '../core/simulator-contract';

/**
 * Configuration of the standalone simulator (`npm run simulator`), read from the environment by one zod
 * schema. A pure function of `env`, so every rule is unit-tested without touching `process.env`.
 */

export interface StandaloneSimulatorConfig {
  port: number;
  host: string;
  publicUrl?: string;
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds: number;
  redirectUris: string[];
}

export type ConfigResult = { ok: true; config: StandaloneSimulatorConfig } | { ok: false; problems: string[] };

export const DEFAULT_SIMULATOR_PORT = 3001;
export const DEFAULT_REDIRECT_URIS = 'http://localhost:3000/implicit/';

/** `.env` files write unset values as `NAME=`; those mean "use the default", not "empty". */
const unsetIfEmpty = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

function isHttpUrl(value: string, allowFragment: boolean): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && (allowFragment || url.hash === '');
  } catch {
    return false;
  }
}

export const simulatorEnvSchema = z.object({
  SIMULATOR_PORT: z.preprocess(unsetIfEmpty, wholeNumber(0, 65535).default(DEFAULT_SIMULATOR_PORT)),
  SIMULATOR_HOST: z.preprocess(unsetIfEmpty, z.string().default('127.0.0.1')),
  SIMULATOR_PUBLIC_URL: z.preprocess(
    unsetIfEmpty,
    z.string().refine((value) => isHttpUrl(value, false), { message: 'must be an http(s) URL' }).optional(),
  ),
  SIMULATOR_CLIENT_ID: z.preprocess(unsetIfEmpty, z.string().default(SIMULATOR_DEFAULT_CLIENT_ID)),
  SIMULATOR_CLIENT_SECRET: z.preprocess(unsetIfEmpty, z.string().default(SIMULATOR_DEFAULT_CLIENT_SECRET)),
  SIMULATOR_TOKEN_LIFETIME_SECONDS: z.preprocess(unsetIfEmpty, wholeNumber(1, 86_400).default(3600)),
  SIMULATOR_REDIRECT_URIS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default(DEFAULT_REDIRECT_URIS)
      .transform((value) => value.split(',').map((uri) => uri.trim()).filter((uri) => uri !== ''))
      .refine((uris) => uris.every((uri) => isHttpUrl(uri, false)), {
        message: 'must be a comma-separated list of http(s) URLs without a #fragment',
      }),
  ),
});

/**
 * Reads and validates the simulator's settings. Refuses `NODE_ENV=production` outright: the simulator
 * hands out tokens for public demo credentials, so it must never stand in for Fortellis in production.
 */
export function loadSimulatorConfig(env: Record<string, string | undefined>): ConfigResult {
  if (env.NODE_ENV === 'production') {
    return {
      ok: false,
      problems: [
        'The Fortellis simulator refuses to run with NODE_ENV=production: it accepts public demo credentials. ' +
          'Point the app at the real Fortellis instead.',
      ],
    };
  }
  const parsed = simulatorEnvSchema.safeParse(env);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
  }
  const value = parsed.data;
  return {
    ok: true,
    config: {
      port: value.SIMULATOR_PORT,
      host: value.SIMULATOR_HOST,
      ...(value.SIMULATOR_PUBLIC_URL !== undefined ? { publicUrl: value.SIMULATOR_PUBLIC_URL } : {}),
      clientId: value.SIMULATOR_CLIENT_ID,
      clientSecret: value.SIMULATOR_CLIENT_SECRET,
      tokenLifetimeSeconds: value.SIMULATOR_TOKEN_LIFETIME_SECONDS,
      redirectUris: value.SIMULATOR_REDIRECT_URIS,
    },
  };
}
