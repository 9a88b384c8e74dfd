import type BetterSqlite3 from 'better-sqlite3';

/**
 * A value that moves whenever the SQLite database may have changed, read before every session read that
 * the session backend serves from memory (OpenDatabase.changeCounter, src/session/database-store.ts). Two
 * parts, each as cheap as its guarantee allows:
 *
 * - **This connection's writes**, counted in JavaScript: every statement of the connection that may write
 *   (better-sqlite3's `readonly` is false) bumps the count once it has run, whatever runs it, through the
 *   statement cache (withStatementCache). Exact at once, and free; `select total_changes()` did the same
 *   with a statement per read.
 * - **Other connections' commits** (another process, the CLI, this process's write thread): `PRAGMA
 *   data_version`, which takes and drops the WAL read lock (two `fcntl` calls and a statement) every time it
 *   runs. Read at most once per turn of the event loop: the first read of a turn takes it, and the turn's
 *   other reads reuse it until its check phase (a `setImmediate`). Under load a turn answers many calls, and
 *   this check was a few per cent of a proxied call's CPU (README, "Performance").
 *
 * What the second costs in exactness: a commit of another connection is seen by every read in a later turn
 * of the event loop than the one it was made in, and possibly not by reads in that same turn (a turn's
 * reads share the view of its first). A session ended on another instance therefore stops working within
 * one turn (a few milliseconds under load) rather than at the very read after the commit; a request sent
 * after the sign-out was answered comes in with a later turn's I/O and sees it. Only requests concurrent
 * with the commit, which might as well have come first, can still be served. This connection's own writes
 * are seen at once, as before.
 */
export class SqliteChangeCounter {
  private ownWrites = 0;
  /** `data_version` as read in this turn of the event loop; undefined until a read of the turn needs it. */
  private othersVersion: number | undefined;
  private readonly dataVersion: BetterSqlite3.Statement;
  private readonly forgetOthersVersion = () => {
    this.othersVersion = undefined;
  };

  constructor(database: BetterSqlite3.Database) {
    this.dataVersion = database.prepare('pragma data_version').pluck();
  }

  /** A statement of this connection that may write has run (or failed: counting it anyway is safe). */
  countWrite(): void {
    this.ownWrites += 1;
  }

  /** The current value; throws when the database cannot say (closed). */
  read(): string {
    if (this.othersVersion === undefined) {
      this.othersVersion = this.dataVersion.get() as number;
      // Unreferenced: the check phase comes whatever keeps the loop alive; this never keeps it alive.
      setImmediate(this.forgetOthersVersion).unref();
    }
    return `${this.ownWrites}:${this.othersVersion}`;
  }
}
