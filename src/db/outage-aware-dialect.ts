import { setTimeout as pause } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type QueryCompiler, type QueryResult, type TransactionSettings } from 'kysely';
import { AppError, storeUnavailable } from '../core/errors';

export interface OutagePolicy {
  /** Errors that mean the database cannot work now (see outages.ts): they become 503 `storeUnavailable('database')`. */
  isOutage(error: unknown): boolean;
  /** SQLite: another connection holds the lock. Such a statement is tried again after a pause, a bounded number of times. */
  isBusy?(error: unknown): boolean;
  /**
   * The statement that opens a transaction. SQLite's plain BEGIN takes the write lock only at the first write,
   * where a busy lock cannot be waited out; BEGIN IMMEDIATE takes it at once, where a retry is safe.
   */
  beginSql?: string;
  /** Pauses between the attempts of a busy statement (their number bounds the retries). */
  busyRetryDelaysMs?: readonly number[];
  /**
   * After a statement gave up on a busy lock, busy statements fail at their first attempt for this long: all
   * statements share one SQLite connection, and each waiting its full round would queue requests without end.
   */
  busyFailFastMs?: number;
  /** Milliseconds on a monotonic clock, for that window (tests move it). */
  now?: () => number;
}

/**
 * Kysely's SQLite driver runs statements synchronously: SQLite's own busy timeout would sleep on the event
 * loop, freezing every request (5 s per write with busy_timeout=5000). The connection's busy timeout is kept
 * to a couple of milliseconds and these pauses happen on timers instead, with the loop free. About 0.7 s in all.
 */
export const SQLITE_BUSY_RETRY_DELAYS_MS = [5, 10, 20, 40, 75, 150, 400] as const;
const BUSY_FAIL_FAST_MS = 1000;

/**
 * Wraps a Kysely dialect so that its driver turns database outages into `storeUnavailable('database', error)`
 * at the source (every caller, sessions, users, audit, answers 503 with Retry-After instead of 500) and
 * rides out a busy SQLite lock with bounded asynchronous retries.
 */
export function withOutageHandling(dialect: Dialect, policy: OutagePolicy): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => new OutageAwareDriver(dialect.createDriver(), policy),
  };
}

class OutageGuard {
  private failFastUntil = -Infinity;
  private readonly delays: readonly number[];
  private readonly now: () => number;

  constructor(private readonly policy: OutagePolicy) {
    this.delays = policy.isBusy ? (policy.busyRetryDelaysMs ?? SQLITE_BUSY_RETRY_DELAYS_MS) : [];
    this.now = policy.now ?? (() => performance.now());
  }

  /**
   * Runs one driver operation: busy → pause and retry (bounded); outage → storeUnavailable; anything else as
   * it was. Plain promise chaining, not an async function: every query of every request passes here.
   */
  run<T>(operation: () => Promise<T>): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = operation();
    } catch (error) {
      // better-sqlite3 throws synchronously, from inside Kysely's executeQuery.
      return this.afterFailure(operation, error, 0);
    }
    return pending.then(undefined, (error: unknown) => this.afterFailure(operation, error, 0));
  }

  private async afterFailure<T>(operation: () => Promise<T>, error: unknown, attempt: number): Promise<T> {
    if (!this.policy.isBusy?.(error)) throw this.translate(error);
    const failingFast = this.now() < this.failFastUntil;
    if (failingFast || attempt >= this.delays.length) {
      if (!failingFast) this.failFastUntil = this.now() + (this.policy.busyFailFastMs ?? BUSY_FAIL_FAST_MS);
      throw this.translate(error);
    }
    await pause(this.delays[attempt]);
    try {
      return await operation();
    } catch (next) {
      return this.afterFailure(operation, next, attempt + 1);
    }
  }

  translate(error: unknown): unknown {
    if (error instanceof AppError || !this.policy.isOutage(error)) return error;
    return storeUnavailable('database', error);
  }
}

/** Hands our wrapper to Kysely and the driver's own connection to the driver (it keeps private state on it). */
class GuardedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly guard: OutageGuard,
  ) {}

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return this.guard.run(() => this.inner.executeQuery<R>(compiledQuery));
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize);
    } catch (error) {
      throw this.guard.translate(error);
    }
  }
}

const innerOf = (connection: DatabaseConnection): DatabaseConnection => (connection instanceof GuardedConnection ? connection.inner : connection);

class OutageAwareDriver implements Driver {
  private readonly guard: OutageGuard;

  constructor(
    private readonly driver: Driver,
    private readonly policy: OutagePolicy,
  ) {
    this.guard = new OutageGuard(policy);
  }

  init(): Promise<void> {
    return this.guard.run(() => this.driver.init());
  }

  /** One wrapper per driver connection (SQLite has one; a pg pool a few), not one per query. */
  private readonly guarded = new WeakMap<DatabaseConnection, GuardedConnection>();

  acquireConnection(): Promise<DatabaseConnection> {
    return this.driver.acquireConnection().then(
      (connection) => {
        let wrapper = this.guarded.get(connection);
        if (!wrapper) {
          wrapper = new GuardedConnection(connection, this.guard);
          this.guarded.set(connection, wrapper);
        }
        return wrapper;
      },
      (error: unknown) => {
        // No connection to be had (refused, timed out, the server starting or stopping): an outage, whatever the error.
        throw error instanceof AppError ? error : storeUnavailable('database', error);
      },
    );
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const { beginSql } = this.policy;
    if (beginSql && !settings.isolationLevel && !settings.accessMode) {
      return this.guard.run(async () => void (await innerOf(connection).executeQuery(CompiledQuery.raw(beginSql))));
    }
    return this.guard.run(() => this.driver.beginTransaction(innerOf(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    // SQLite: a COMMIT that failed with SQLITE_BUSY leaves the transaction open, and may be tried again.
    return this.guard.run(() => this.driver.commitTransaction(innerOf(connection)));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.guard.run(() => this.driver.rollbackTransaction(innerOf(connection)));
    } catch (error) {
      // A rollback fails after a statement failed: the connection died (PostgreSQL), or SQLite already rolled
      // back itself (disk full, I/O error) and says no transaction is active. Either way the database is in trouble.
      throw error instanceof AppError ? error : storeUnavailable('database', error);
    }
  }

  async savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await this.guard.run(async () => this.driver.savepoint?.(innerOf(connection), name, compileQuery));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await this.guard.run(async () => this.driver.rollbackToSavepoint?.(innerOf(connection), name, compileQuery));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await this.guard.run(async () => this.driver.releaseSavepoint?.(innerOf(connection), name, compileQuery));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(innerOf(connection));
  }

  destroy(): Promise<void> {
    return this.driver.destroy();
  }
}
