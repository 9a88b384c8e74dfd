import type { AccessEntry } from './entry';

/** Longer paths are cut (the column holds 2048); no API path of Fortellis comes near. */
const MAX_PATH = 2048;

/** What the access log keeps of a call's session, taken when the call came in. */
export interface CallActor {
  userId: string | null;
  username: string | null;
  subscriptionId: string | null;
}

/** Nobody signed in (a refused call is worth seeing too). */
export const NO_ACTOR: CallActor = { userId: null, username: null, subscriptionId: null };

/** The actor of a session (signed in or not): what the call acted as, whatever happens to the session later. */
export function callActor(session: { userId?: string; username?: string; subscriptionId?: string } | undefined): CallActor {
  const userId = session?.userId ?? null;
  return userId ? { userId, username: session?.username ?? null, subscriptionId: session?.subscriptionId ?? null } : NO_ACTOR;
}

/**
 * One access-log entry per proxied call, written by the API's lean route (src/web/api-proxy-route.ts)
 * when the answer is over (`close` fires for finished and for abandoned answers alike). `path` is below
 * /api/fortellis and has no query string (which may hold customer data). The per-call cost is one object
 * pushed onto an array (see README, Performance).
 */
export function accessEntry(call: { at: number; actor: CallActor; method: string; path: string; status: number; requestId: string; durationMs: number }): AccessEntry {
  return {
    at: call.at,
    userId: call.actor.userId,
    username: call.actor.username,
    subscriptionId: call.actor.subscriptionId,
    method: call.method,
    path: call.path.length > MAX_PATH ? call.path.slice(0, MAX_PATH) : call.path,
    status: call.status,
    requestId: call.requestId,
    durationMs: Math.round(call.durationMs),
  };
}
