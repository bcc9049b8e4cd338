import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, statSync } from 'node:fs';
import { StoreError } from '../errors.js';

/** How the file's data reaches the disk: node's `fs.fdatasync` unless a test slows or fails it. */
export type Datasync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;
/** The same on the calling thread: node's `fs.fdatasyncSync` unless a test counts or fails it. */
export type DatasyncNow = (fd: number) => void;

/**
 * Makes a SQLite file's committed WAL frames durable from libuv's thread pool,
 * so the event loop keeps serving while the disk works.
 *
 * The file runs `synchronous=NORMAL` in WAL mode: COMMIT appends its frames to
 * the `-wal` file without an fsync. One `fdatasync` of that file afterwards
 * gives what FULL gives, an fsync of the WAL after the commit's frames were
 * written. Why the one descriptor keeps naming the right file:
 *
 * - SQLite never replaces the `-wal` file while a connection holds the
 *   database open: a checkpoint that starts the log over rewrites it from the
 *   beginning, and `journal_size_limit` or a TRUNCATE checkpoint truncates it
 *   in place (the same inode; sqlite-file.test.ts checks it). Only the last
 *   connection's close deletes it, and this descriptor is closed first.
 * - Frames a checkpoint copies into the database file before this sync runs
 *   are durable there: in WAL mode with NORMAL (and FULL, which the checkpoint
 *   worker runs) a checkpoint syncs the WAL before copying and the database
 *   file after, before the log is started over or truncated.
 *
 * Commits arriving while a sync runs share the next one (their frames may have
 * been written after the running sync began, so it does not cover them). After
 * a failed sync the kernel may have dropped the dirty pages and a later sync
 * could succeed without them (PostgreSQL's "fsyncgate"), so every later sync
 * of the file fails too: the store stops taking writes.
 */
export class WalSync {
  readonly #walPath: string;
  readonly #datasync: Datasync;
  readonly #datasyncNow: DatasyncNow;
  #fd: number | undefined;
  #inFlight: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #failed: StoreError | undefined;

  constructor(databasePath: string, datasync: Datasync = fdatasync, datasyncNow: DatasyncNow = fdatasyncSync) {
    this.#walPath = `${databasePath}-wal`;
    this.#datasync = datasync;
    this.#datasyncNow = datasyncNow;
  }

  /** Resolves once every frame committed before this call is on disk. */
  sync(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (!this.#inFlight) {
      this.#inFlight = this.#run().finally(() => {
        this.#inFlight = undefined;
      });
      return this.#inFlight;
    }
    this.#next ??= this.#inFlight
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.#next = undefined;
        return this.sync();
      });
    return this.#next;
  }

  /**
   * The same sync on the calling thread, for a commit nobody else waits on: the thread pool's round trip (wake a
   * pool thread, sync, wake the event loop) costs a lone writer more than blocking for the sync. Never while a
   * pooled sync runs or is queued, so the two cannot overtake each other.
   */
  syncNow(): boolean {
    if (this.#failed) throw this.#failed;
    if (this.#inFlight || this.#next) return false;
    const fd = this.#open(); // throws a failed sync of its own
    try {
      this.#datasyncNow(fd);
    } catch (err) {
      throw this.#fail(err as NodeJS.ErrnoException);
    }
    return true;
  }

  /** True when the descriptor still names the file at the WAL's path (same device and inode). */
  sameFile(): boolean {
    if (this.#fd === undefined) return true;
    const open = fstatSync(this.#fd);
    const now = statSync(this.#walPath, { throwIfNoEntry: false });
    return now !== undefined && now.ino === open.ino && now.dev === open.dev;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #run(): Promise<void> {
    let fd: number;
    try {
      fd = this.#open();
    } catch {
      // #open recorded the failure.
      return Promise.reject(this.#failed!);
    }
    return new Promise((resolve, reject) =>
      this.#datasync(fd, (err) => {
        if (!err) return resolve();
        reject(this.#fail(err));
      }),
    );
  }

  /**
   * Opened on the first sync: the `-wal` file exists once a transaction has committed. Failing to open it is a
   * failed sync like any other (the commit's rows are in the file, and nobody may be told of them).
   */
  #open(): number {
    try {
      // Read-only is enough for fdatasync on Linux, and this descriptor never writes.
      return (this.#fd ??= openSync(this.#walPath, 'r'));
    } catch (err) {
      throw this.#fail(err as NodeJS.ErrnoException);
    }
  }

  #fail(err: NodeJS.ErrnoException): StoreError {
    this.#failed = new StoreError(
      'CNPAAS_STORE_FSYNC_FAILED',
      `${this.#walPath}: fdatasync failed (${err.code ?? err.message}); writes since the last successful sync may not be on disk`,
      'check the disk and the file system the data dir is on, then restart the store; it re-reads what is on disk',
    );
    return this.#failed;
  }
}
