import { z } from 'zod';
import { SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET } from './simulator-contract';

/**
 * The environment's building blocks, shared by every program of the project so that one variable means
 * one thing with one rule and one message everywhere: the app's schema (src/config/schema.ts, which the
 * user CLI picks from) and the standalone simulator's (src/simulator/config.ts). In the core because the
 * simulator, an app of its own, may use the core but not the app's config layer.
 */

/** `.env` files write unset values as `NAME=`: those mean "use the default", not "empty". Values are trimmed. */
export function withoutEmptyValues(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') result[key] = value.trim();
  }
  return result;
}

export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    error: 'must be true or false',
  })
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

export const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

export const positiveInt = (what: string) =>
  z.coerce.number({ error: `must be a number of ${what}` }).int(`must be a whole number of ${what}`).positive(`must be a positive number of ${what}`);

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** An http(s) URL without its trailing slashes (a trailing slash would make `${base}/path` produce `//path`). */
export const httpUrl = z
  .string()
  .refine(isHttpUrl, 'must be an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));

export const DEFAULT_SIMULATOR_PORT = 3001;

/**
 * The simulator's variables that the app reads too (the embedded simulator of simulator mode listens on
 * SIMULATOR_PORT and hands out tokens for SIMULATOR_CLIENT_ID / _SECRET): declared once for both.
 */
export const sharedSimulatorEnv = {
  SIMULATOR_PORT: port.default(DEFAULT_SIMULATOR_PORT),
  SIMULATOR_CLIENT_ID: z.string().min(1).default(SIMULATOR_DEFAULT_CLIENT_ID),
  SIMULATOR_CLIENT_SECRET: z.string().min(1).default(SIMULATOR_DEFAULT_CLIENT_SECRET),
};
