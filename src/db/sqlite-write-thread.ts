import path from 'node:path';
import { Worker } from 'node:worker_threads';

/** One statement of a batch: SQL with `?` placeholders and its parameters, in order. */
export interface WriteStatement {
  sql: string;
  parameters: unknown[];
}

/** Runs batches of statements, each batch whole or not at all. */
export interface BatchWriter {
  write(statements: readonly WriteStatement[]): Promise<void>;
}

export interface SqliteWriteThreadOptions {
  /** The SQLite file; it must exist (the main connection created and migrated it). */
  filename: string;
  /** How long a batch waits for the write lock (another process, the main connection); default 5 s. */
  busyTimeoutMs?: number;
}

/** A batch the thread refused or could not run: SQLite's message, and its code (SQLITE_BUSY, …). */
export class WriteThreadError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'WriteThreadError';
  }
}

interface Reply {
  id: number;
  error?: { message: string; code?: string };
}

const WORKER_FILE = path.join(__dirname, 'sqlite-write-thread.worker.js');

/**
 * Bulk writes to the app's SQLite file from a worker thread with its own connection: the access log's
 * batches (a row per proxied call) would otherwise run on the event loop, a millisecond or two of SQLite
 * per batch during which no request moves, with SQLite's code and pages pushing the request path's out of
 * the CPU's caches. Measured with `npm run bench:ab`: about 3–5 % less CPU per proxied call (README,
 * "Performance").
 *
 * The thread is started on the first write and again after it died; a batch in flight when it dies is
 * rejected (it may have been committed just before: the access log then counts as dropped what it wrote). Its commits are another connection's to the main one, so `PRAGMA data_version` moves and the
 * session backend's memory stays exact (src/session/database-store.ts).
 */
export class SqliteWriteThread implements BatchWriter {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve(): void; reject(error: Error): void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: SqliteWriteThreadOptions) {}

  write(statements: readonly WriteStatement[]): Promise<void> {
    if (this.closed) return Promise.reject(new WriteThreadError('the write thread is closed', undefined));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const written = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, statements });
    });
    // Settled either way (never rejects), for close() to wait on.
    const settled: Promise<void> = written.then(
      () => void this.inFlight.delete(settled),
      () => void this.inFlight.delete(settled),
    );
    this.inFlight.add(settled);
    return written;
  }

  /** Waits for the batches in flight, then ends the thread and its connection. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.inFlight);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ close: true });
    await exited;
  }

  private start(): Worker {
    const worker = new Worker(WORKER_FILE, { workerData: { filename: path.resolve(this.options.filename), busyTimeoutMs: this.options.busyTimeoutMs ?? 5000 } });
    // The thread never keeps the process alive by itself: close() ends it, and an exit does not wait for it.
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error) waiting?.reject(new WriteThreadError(reply.error.message, reply.error.code));
      else waiting?.resolve();
    });
    // 'error' (an uncaught exception there, a file it cannot open) is followed by 'exit'; its message goes
    // to the batches that were waiting.
    let failure = '';
    worker.on('error', (error) => {
      failure = `: ${error.message}`;
    });
    worker.once('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      const error = new WriteThreadError(`the SQLite write thread stopped (exit code ${code})${failure}`, undefined);
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    });
    this.worker = worker;
    return worker;
  }
}
