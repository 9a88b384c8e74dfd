import type { Store } from 'express-session';
import { storeUnavailable } from '../../src/core/errors';

/**
 * Faults injected into a real session store, for tests that need one at a precise point: the store's own
 * methods are wrapped on the instance (express-session looks them up at each call), the data stays real.
 */

type Callback = (error?: unknown, value?: unknown) => void;
type Method = 'get' | 'set' | 'touch';

function wrap(store: Store, method: Method, around: (real: (...args: unknown[]) => void, args: unknown[], callback: Callback) => void): () => void {
  const target = store as unknown as Record<Method, (...args: unknown[]) => void>;
  const real = target[method].bind(store);
  target[method] = (...args: unknown[]) => around(real, args.slice(0, -1), args[args.length - 1] as Callback);
  return () => {
    delete (target as Partial<typeof target>)[method];
  };
}

/** The store's next `times` reads fail as if it could not be reached. */
export function failNextSessionReads(store: Store, times: number): void {
  let left = times;
  const restore = wrap(store, 'get', (real, args, callback) => {
    if (left <= 0) return real(...args, callback);
    left -= 1;
    if (left === 0) restore();
    callback(storeUnavailable('session store', new Error('injected read failure')));
  });
}

/** Every write (save and touch) fails until the returned function is called. */
export function failSessionWrites(store: Store): () => void {
  const fail = (_real: unknown, _args: unknown[], callback: Callback) => callback(storeUnavailable('session store', new Error('injected write failure')));
  const restoreSet = wrap(store, 'set', fail);
  const restoreTouch = wrap(store, 'touch', fail);
  return () => {
    restoreSet();
    restoreTouch();
  };
}

/** Holds the store's next save: `reached` resolves when it is called, `release()` lets it go on. */
export function holdNextSessionSave(store: Store): { reached: Promise<void>; release(): void } {
  let reachedResolve!: () => void;
  let releaseResolve!: () => void;
  const reached = new Promise<void>((resolve) => (reachedResolve = resolve));
  const released = new Promise<void>((resolve) => (releaseResolve = resolve));
  const restore = wrap(store, 'set', (real, args, callback) => {
    restore();
    reachedResolve();
    void released.then(() => real(...args, callback));
  });
  return { reached, release: releaseResolve };
}
