import type { SessionData } from 'express-session';

/**
 * Reads a stored session's data, or undefined when it cannot be a session: not JSON, not an object, or
 * without the cookie express-session rebuilds every session around (a store bug, a hand edit, a truncated
 * write, another app's key). The stores treat such a record as no session at all, never as a crash.
 */
export function parseSessionRecord(json: string): SessionData | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  return isSessionData(parsed) ? parsed : undefined;
}

/** The minimum express-session and the app rely on when they load a session. */
export function isSessionData(value: unknown): value is SessionData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { cookie, userId } = value as Record<string, unknown>;
  return typeof cookie === 'object' && cookie !== null && (userId === undefined || typeof userId === 'string');
}

/** The session as stored: its generation is kept beside it by the store, not inside it. */
export function withoutGeneration(data: SessionData): Omit<SessionData, 'generation'> {
  if (data.generation === undefined) return data;
  const { generation: _generation, ...rest } = data;
  return rest;
}

/** `value` and everything in it, frozen: a session shared by reads that must not change it (peek). */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
