import { z } from 'zod';
import { isHttpUrl, positiveInt, sharedSimulatorEnv, withoutEmptyValues } from '../core/env-schema';

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

export const DEFAULT_REDIRECT_URIS = 'http://localhost:3000/implicit/';

/** A URL a browser is sent to or redirected to: http(s), no #fragment (RFC 6749 §3.1.2 for redirect URIs). */
const withoutFragment = (value: string) => isHttpUrl(value) && new URL(value).hash === '';

/** The simulator's variables, on the blocks the app's schema is built from (src/core/env-schema.ts). */
export const simulatorEnvSchema = z.object({
  ...sharedSimulatorEnv,
  SIMULATOR_HOST: z.string().default('127.0.0.1'),
  SIMULATOR_PUBLIC_URL: z.string().refine(withoutFragment, 'must be an http(s) URL').optional(),
  SIMULATOR_TOKEN_LIFETIME_SECONDS: positiveInt('seconds').max(86_400, 'must be at most 86400 seconds (a day)').default(3600),
  SIMULATOR_REDIRECT_URIS: z
    .string()
    .default(DEFAULT_REDIRECT_URIS)
    .transform((value) => value.split(',').map((uri) => uri.trim()).filter((uri) => uri !== ''))
    .refine((uris) => uris.every(withoutFragment), { message: 'must be a comma-separated list of http(s) URLs without a #fragment' }),
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
  const parsed = simulatorEnvSchema.safeParse(withoutEmptyValues(env));
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
