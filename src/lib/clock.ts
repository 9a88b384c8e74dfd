/**
 * Time source. Everything with an expiry (tokens, sessions, throttles) takes a Clock so that tests move
 * time instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
