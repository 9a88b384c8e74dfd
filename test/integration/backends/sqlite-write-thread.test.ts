import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, type OpenDatabase } from '../../../src/db/database';
import { SqliteWriteThread, type WriteStatement } from '../../../src/db/sqlite-write-thread';

/** The write thread's Worker, reached into to kill it (the fault a crash of the thread would be). */
const workerOf = (thread: SqliteWriteThread) => (thread as unknown as { worker: Worker | undefined }).worker;
const insert = (value: string): WriteStatement => ({ sql: 'insert into t (v) values (?)', parameters: [value] });
/** Whether a promise rejected, and with what: not toThrow(), whose Error class check trips over realms. */
const outcome = (promise: Promise<unknown>) => promise.then(() => undefined, (error: { code?: string; message: string }) => error);

describe('the SQLite write thread', () => {
  let dir: string;
  let file: string;
  let database: OpenDatabase;
  let other: BetterSqlite3.Database;
  let thread: SqliteWriteThread;
  const values = () => (other.prepare('select v from t order by v').pluck().all() as string[]);

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-write-thread-'));
    file = path.join(dir, 'app.db');
    database = await openDatabase(`sqlite:${file}`);
    other = new BetterSqlite3(file);
    other.exec('create table t (v text not null unique)');
    thread = new SqliteWriteThread({ filename: file, busyTimeoutMs: 5000 });
  });
  afterEach(async () => {
    await thread.close();
    other.close();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commits each batch whole, or (a statement refused) leaves none of it', async () => {
    await thread.write([insert('a'), insert('b')]);
    const refused = await outcome(thread.write([insert('c'), insert('a')]));
    expect(refused).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(values()).toEqual(['a', 'b']);
  });

  it('waits for a write lock another connection holds, and writes once it is let go', async () => {
    await thread.write([insert('a')]); // the thread is up, so the next batch reaches SQLite at once
    other.exec('begin immediate');
    const written = thread.write([insert('b')]);
    // Held a while, so that the batch meets the lock (a thread that gave up at once would reject it); the
    // event loop runs meanwhile, the wait blocks only the thread. Nothing here is timed.
    await new Promise((resolve) => setTimeout(resolve, 50));
    other.exec('commit');
    await written;
    expect(values()).toEqual(['a', 'b']);
  });

  it('gives up on a lock held past its busy timeout with SQLITE_BUSY, and writes nothing', async () => {
    const impatient = new SqliteWriteThread({ filename: file, busyTimeoutMs: 1 });
    other.exec('begin immediate');
    try {
      expect(await outcome(impatient.write([insert('a')]))).toMatchObject({ code: 'SQLITE_BUSY' });
    } finally {
      other.exec('commit');
      await impatient.close();
    }
    expect(values()).toEqual([]);
  });

  it('rejects the batch in flight when the thread dies, and starts a new thread for the next one', async () => {
    other.exec('begin immediate'); // keeps the batch waiting in the thread while it is killed
    const inFlight = thread.write([insert('lost')]);
    await workerOf(thread)!.terminate();
    other.exec('commit');
    expect(await outcome(inFlight)).toMatchObject({ message: expect.stringContaining('write thread stopped') });
    await thread.write([insert('next')]);
    expect(values()).toEqual(['next']);
  });

  it('finishes the batches in flight before it closes, and refuses later ones', async () => {
    const writes = [thread.write([insert('a')]), thread.write([insert('b')])];
    await thread.close();
    await Promise.all(writes);
    expect(values()).toEqual(['a', 'b']);
    expect(await outcome(thread.write([insert('c')]))).toMatchObject({ message: expect.stringContaining('closed') });
    expect(workerOf(thread)).toBeUndefined();
  });

  it('is what a database in a file writes its bulk batches with; an in-memory one has none', async () => {
    expect(database.writeThread).toBeInstanceOf(SqliteWriteThread);
    const memory = await openDatabase('sqlite::memory:');
    expect(memory.writeThread).toBeUndefined();
    await memory.close();
  });
});
