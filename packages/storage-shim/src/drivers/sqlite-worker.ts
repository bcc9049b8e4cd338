import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { WAL_SIZE_LIMIT_BYTES } from './checkpointer.js';
import type { StatementResult } from './reconnecting-connection.js';
import { openStoreDatabase } from './sqlite-file.js';
import { sqliteDialect } from './sql/sqlite-dialect.js';
import { serveQueries } from './sql-worker-host.js';

/** What sqlite-thread-driver.ts hands the worker: the file and how durable its commits are. */
export interface SqliteWorkerConfig {
  path: string;
  /** false only for tests (--unsafe-no-fsync). */
  fsync: boolean;
  walSizeLimitBytes?: number;
}

/** One open file and its prepared statements, by text (the driver sends a handful of distinct texts). */
interface Connection {
  db: Database.Database;
  statements: Map<string, Statement>;
}

/**
 * The connections of one SQLite backend file in a thread of their own
 * (sql-worker-host.ts), for sqlite-thread-driver.ts: the main thread sends
 * statements over the same bridge PostgreSQL and MySQL use, and this thread
 * runs them, COMMIT's fsync included.
 *
 * The file is the same file the in-thread driver (sqlite-driver.ts) writes:
 * same migrations (PRAGMA user_version, schema.ts), same tables, and a store
 * may switch a backend between the two. What the in-thread driver keeps
 * beside the rows and this one does not, the prefix counts and the label
 * index, is emptied here with its "built" mark, so the in-thread driver
 * builds it again from the rows when it next opens the file rather than
 * trusting a stale one.
 */
serveQueries<Connection>((config) => {
  const { path, fsync, walSizeLimitBytes } = config as SqliteWorkerConfig;
  return {
    connect: () => Promise.resolve(open(path, fsync, walSizeLimitBytes ?? WAL_SIZE_LIMIT_BYTES)),
    query: (c, text, params) => Promise.resolve(run(c, text, params)),
    // Already one call per statement on this thread; running them in one go saves the per-statement promise turns.
    many: (c, statements) => Promise.resolve(statements.map((s) => run(c, s.text, s.params))),
    end: (c) => Promise.resolve(c.db.close()),
  };
});

function open(path: string, fsync: boolean, walSizeLimitBytes: number): Connection {
  const db = openStoreDatabase({
    path,
    // FULL: the WAL is fsynced inside every COMMIT, on this thread, so a commit the driver hears of is durable.
    // The in-thread driver defers that fsync to the thread pool (wal-sync.ts) to free the event loop; here the
    // event loop is this thread's own, and the main thread is not waiting on it.
    synchronous: fsync ? 'FULL' : 'OFF',
    // Both connections live on this one thread, so one waiting for the other's lock would wait for ever (until
    // the timeout). The driver never lets them overlap on a write (compaction runs between batches); should it
    // happen, fail at once with SQLITE_BUSY rather than stall every query of the backend.
    busyTimeoutMs: 0,
    // No checkpointer thread watches this file (the driver lists no local files): SQLite checkpoints the WAL
    // itself after a commit once it passes the default 1000 pages, and journal_size_limit cuts it back.
    checkpointer: false,
    walSizeLimitBytes,
    migrations: sqliteDialect.migrations,
  });
  forgetDerivedTables(db);
  return { db, statements: new Map() };
}

/**
 * Empties the tables this driver does not keep up to date, and their marks
 * (sqlite-driver.ts: `counts_built`, `labels_built`), in one transaction.
 */
function forgetDerivedTables(db: Database.Database): void {
  const marks = db.prepare("SELECT name FROM meta WHERE name IN ('counts_built', 'labels_built')").pluck().all();
  if (marks.length === 0) return;
  db.transaction(() => {
    db.exec(
      "DELETE FROM counts; DELETE FROM label_index; DELETE FROM meta WHERE name IN ('counts_built', 'labels_built')",
    );
  })();
}

function run(c: Connection, text: string, params: unknown): StatementResult {
  let stmt = c.statements.get(text);
  if (!stmt) {
    stmt = c.db.prepare(text);
    c.statements.set(text, stmt);
  }
  // SQLite's dialect binds by name: `params` is the values object (sql/dialect.ts bind), or none at all.
  const args: unknown[] = Array.isArray(params) ? params : [params];
  if (stmt.reader) {
    const rows = stmt.all(...args);
    return { rows, rowCount: rows.length };
  }
  return { rows: [], rowCount: stmt.run(...args).changes };
}
