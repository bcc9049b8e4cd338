import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { statSync } from 'node:fs';
import { WAL_SIZE_LIMIT_BYTES } from './checkpointer.js';
import { type Datasync, type DatasyncNow, WalSync } from './wal-sync.js';
import { makePrivateDatabase } from './private-files.js';
import { migrate } from './schema.js';
import { BackendStatements } from './sql/statements.js';
import { sqliteDialect } from './sql/sqlite-dialect.js';

// Backend files and meta.db share the `meta` table of named values.
const META_SQL = new BackendStatements(sqliteDialect);

export interface SqliteFileOptions {
  /** Absolute path of the database file. */
  path: string;
  /** false only for tests (--unsafe-no-fsync). */
  fsync: boolean;
  /** The size the WAL file is cut back to (journal_size_limit); default WAL_SIZE_LIMIT_BYTES. */
  walSizeLimitBytes?: number;
  /** Forward-only migrations; the file's user_version counts the applied ones. */
  migrations: readonly string[];
  /**
   * With fsync: make a commit durable after COMMIT, from the thread pool (`syncWal`, wal-sync.ts), instead of inside
   * it. The backend files do; meta.db does not, since its revision log must be on disk before any backend file
   * commits a revision that spans files.
   */
  syncAfterCommit?: boolean;
  /** Tests: what `syncWal` calls instead of fs.fdatasync, and `syncWalNow` instead of fs.fdatasyncSync. */
  datasync?: Datasync;
  datasyncNow?: DatasyncNow;
}

export interface StoreDatabaseOptions {
  path: string;
  synchronous: 'FULL' | 'NORMAL' | 'OFF';
  /** How long a statement waits for another connection's lock. */
  busyTimeoutMs: number;
  /** A checkpointer thread checkpoints the file (checkpointer.ts), so SQLite does not after commits. */
  checkpointer: boolean;
  /** Default WAL_SIZE_LIMIT_BYTES. */
  walSizeLimitBytes?: number;
  migrations: readonly string[];
}

/**
 * Opens one of the store's SQLite files with the settings every one of them
 * has, whichever thread runs it (this file's SqliteFile, or
 * sqlite-worker.ts), and applies its migrations.
 */
export function openStoreDatabase(options: StoreDatabaseOptions): Database.Database {
  makePrivateDatabase(options.path);
  const db = new Database(options.path);
  // Deleted rows (a Secret's old value once compaction drops it) are
  // overwritten with zeros instead of lingering in free pages of the file.
  db.pragma('secure_delete = ON');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous}`);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
  if (options.checkpointer) db.pragma('wal_autocheckpoint = 0');
  // Once a checkpoint has copied the whole WAL, the next commit starts it over from the beginning; this cuts the
  // file back to the limit then. Without it the file keeps the size of its largest burst forever.
  db.pragma(`journal_size_limit = ${options.walSizeLimitBytes ?? WAL_SIZE_LIMIT_BYTES}`);
  migrate(db, options.path, options.migrations);
  return db;
}

/**
 * One SQLite file as the store runs it: WAL, fsync on every commit, one
 * explicit write transaction per group commit, savepoints per request, and a
 * small `meta` table of named values. Every file of the store (the backends
 * and meta.db) is one of these.
 */
export class SqliteFile {
  readonly path: string;
  readonly db: Database.Database;
  readonly #setMeta: Statement;
  readonly #getMeta: Statement;
  /** Set when commits are synced after COMMIT (syncAfterCommit): the WAL's descriptor and its pending sync. */
  readonly #walSync: WalSync | undefined;
  #inTxn = false;

  constructor(options: SqliteFileOptions) {
    this.path = options.path;
    // FULL: the WAL is fsynced inside every COMMIT, so an acknowledged write
    // survives power loss (kine runs NORMAL, which does not). syncAfterCommit
    // keeps that guarantee with NORMAL: COMMIT only writes the WAL, and the
    // caller awaits `syncWal()`, an fdatasync of the WAL off the event loop,
    // before it acknowledges anything. NORMAL still syncs around checkpoints.
    const deferred = options.fsync && options.syncAfterCommit === true;
    this.db = openStoreDatabase({
      path: options.path,
      synchronous: options.fsync ? (deferred ? 'NORMAL' : 'FULL') : 'OFF',
      busyTimeoutMs: 5000,
      // Checkpoints run in a worker thread (checkpointer.ts), off the commit path.
      checkpointer: true,
      ...(options.walSizeLimitBytes === undefined ? {} : { walSizeLimitBytes: options.walSizeLimitBytes }),
      migrations: options.migrations,
    });
    this.#walSync = deferred ? new WalSync(options.path, options.datasync, options.datasyncNow) : undefined;
    this.#setMeta = this.db.prepare(META_SQL.setMeta.text);
    this.#getMeta = this.db.prepare(META_SQL.getMeta.text).pluck();
  }

  protected getMeta(name: string): unknown {
    return this.#getMeta.get({ name });
  }

  protected setMeta(name: string, value: unknown): void {
    this.#setMeta.run({ name, value });
  }

  /** The file itself: what logs and errors name. */
  get location(): string {
    return this.path;
  }

  /** This file, for the WAL checkpointer (which opens it by path in a worker). */
  get localFiles(): readonly string[] {
    return [this.path];
  }

  get inTransaction(): boolean {
    return this.#inTxn;
  }

  /** Opens the batch's write transaction on first use; later calls join it. */
  begin(): void {
    if (!this.#inTxn) {
      this.db.exec('BEGIN IMMEDIATE');
      this.#inTxn = true;
    }
  }

  /**
   * Commits the batch. With FULL sync, this is the fsync an acknowledgement waits for; with syncAfterCommit the
   * commit is visible to this connection now and durable once `syncWal()` resolves. Each kind of file says what its
   * `commit` returns (meta-store.ts, sqlite-driver.ts).
   */
  protected commitTransaction(): void {
    if (!this.#inTxn) return;
    this.db.exec('COMMIT');
    this.#inTxn = false;
  }

  /** True when commits are made durable by `syncWal()` rather than inside COMMIT. */
  get syncsAfterCommit(): boolean {
    return this.#walSync !== undefined;
  }

  /** syncAfterCommit: resolves once everything committed so far is on disk (an fdatasync of the WAL). */
  syncWal(): Promise<void> {
    return this.#walSync ? this.#walSync.sync() : Promise.resolve();
  }

  /** syncAfterCommit: the same sync on this thread, unless a pooled one is running or queued (then false). */
  syncWalNow(): boolean {
    return this.#walSync ? this.#walSync.syncNow() : true;
  }

  /** syncAfterCommit: whether the WAL descriptor still names the `-wal` file (tests; wal-sync.ts says why it does). */
  walDescriptorIsCurrent(): boolean {
    return this.#walSync?.sameFile() ?? true;
  }

  rollback(): void {
    if (!this.#inTxn) return;
    this.#inTxn = false;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  /** Marks a point inside the open transaction that one request's writes can be undone to. */
  savepoint(): void {
    this.db.exec('SAVEPOINT request');
  }

  releaseSavepoint(): void {
    this.db.exec('RELEASE request');
  }

  rollbackToSavepoint(): void {
    this.db.exec('ROLLBACK TO request; RELEASE request');
  }

  /** Bytes on disk (file + WAL) and bytes holding live pages. */
  size(): { total: number; inUse: number } {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return { total: onDiskBytes(this.path), inUse: (pages - free) * pageSize };
  }

  /**
   * The settings durability, privacy and a bounded WAL rest on: WAL, the sync level (FULL, or NORMAL with
   * `commitSync: 'fdatasync'`, the WAL synced after each COMMIT), secure_delete, journal_size_limit.
   */
  settings(): {
    journalMode: string;
    synchronous: number;
    commitSync: 'in-commit' | 'fdatasync' | 'none';
    secureDelete: number;
    journalSizeLimit: number;
  } {
    const synchronous = this.db.pragma('synchronous', { simple: true }) as number;
    return {
      journalMode: this.db.pragma('journal_mode', { simple: true }) as string,
      synchronous,
      // How a commit reaches the disk: inside COMMIT (FULL), by the fdatasync after it, or not at all (tests).
      commitSync: this.#walSync ? 'fdatasync' : synchronous >= 2 ? 'in-commit' : 'none',
      secureDelete: this.db.pragma('secure_delete', { simple: true }) as number,
      journalSizeLimit: this.db.pragma('journal_size_limit', { simple: true }) as number,
    };
  }

  /** Copies WAL pages into the main file; PASSIVE never waits on readers or writers. */
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE' = 'PASSIVE'): void {
    this.db.pragma(`wal_checkpoint(${mode})`);
  }

  /** VACUUM, with the WAL emptied before and after so the file really shrinks. */
  defragment(): void {
    this.checkpoint('TRUNCATE');
    this.db.exec('VACUUM');
    this.checkpoint('TRUNCATE');
  }

  close(): void {
    this.rollback();
    // Before the connection: its close may delete the `-wal` file this descriptor names.
    this.#walSync?.close();
    this.db.close();
  }
}

/** A SQLite file's bytes on disk: the file and its WAL (none yet, or truncated, counts 0). */
export function onDiskBytes(path: string): number {
  let total = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      total += statSync(file).size;
    } catch {
      // no WAL yet
    }
  }
  return total;
}
