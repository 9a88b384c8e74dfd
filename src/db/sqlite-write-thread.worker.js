// @ts-check
'use strict';
/**
 * The thread behind SqliteWriteThread (sqlite-write-thread.ts): its own connection to the app's SQLite
 * file, running batches of statements, each batch in one transaction. Plain JavaScript because a worker
 * thread runs outside the TypeScript toolchain (ts-jest compiles only what jest itself loads); `@ts-check`
 * keeps it type-checked all the same, and tsc copies it to dist/ (allowJs).
 *
 * Messages in: `{ id, statements: [{ sql, parameters }] }`, or `{ close: true }`.
 * Messages out: `{ id }` when the batch is committed, `{ id, error: { message, code } }` when it was rolled back.
 */
const { parentPort, workerData } = require('node:worker_threads');
const BetterSqlite3 = require('better-sqlite3');

if (!parentPort) throw new Error('sqlite-write-thread.worker.js runs as a worker thread');
const port = parentPort;

/** @type {{ filename: string, busyTimeoutMs: number }} */
const { filename, busyTimeoutMs } = workerData;
const database = new BetterSqlite3(filename, { fileMustExist: true });
// The main connection set WAL on the file; these two are per connection. Waiting for the write lock here
// blocks only this thread, so the wait can be long where the main thread's is kept to ~2 ms.
database.pragma(`busy_timeout = ${busyTimeoutMs}`);
database.pragma('synchronous = NORMAL');

/** Prepared statements by SQL: the writer sends the same few shapes again and again. */
/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map();
const STATEMENT_CACHE_SIZE = 64;

/** @param {string} sql */
function prepared(sql) {
  let statement = statements.get(sql);
  if (!statement) {
    statement = database.prepare(sql);
    if (statements.size < STATEMENT_CACHE_SIZE) statements.set(sql, statement);
  }
  return statement;
}

const runBatch = database.transaction(
  /** @param {Array<{ sql: string, parameters: unknown[] }>} batch */
  (batch) => {
    for (const { sql, parameters } of batch) prepared(sql).run(parameters);
  },
);

port.on(
  'message',
  /** @param {{ id: number, statements: Array<{ sql: string, parameters: unknown[] }> } | { close: true }} message */
  (message) => {
    if ('close' in message) {
      database.close();
      port.close();
      return;
    }
    try {
      // BEGIN IMMEDIATE: the write lock from the start, so a busy database is waited for (busy_timeout)
      // instead of failing at once when a read transaction would have to become a write.
      runBatch.immediate(message.statements);
      port.postMessage({ id: message.id });
    } catch (error) {
      const { message: text, code } = /** @type {{ message?: unknown, code?: unknown }} */ (error ?? {});
      port.postMessage({ id: message.id, error: { message: String(text ?? error), code: typeof code === 'string' ? code : undefined } });
    }
  },
);
