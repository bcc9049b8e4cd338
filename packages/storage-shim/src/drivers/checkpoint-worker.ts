import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { CheckpointRound } from './checkpointer.js';

/**
 * Runs WAL checkpoints on its own connections, in its own thread. A
 * checkpoint writes and fsyncs the database file; on the main thread that
 * would stall every request behind it.
 *
 * Every round starts with PASSIVE, which never blocks the writer or a
 * reader: it copies what no reader still needs. That alone does not bound
 * the WAL. SQLite starts a WAL over from its beginning only when a commit
 * finds every frame already copied, which steady writes never allow, and it
 * never shrinks the file. So a WAL over the limit gets more:
 *
 * - when writes to that file have paused (its WAL did not grow since the
 *   last round and PASSIVE copied all of it), TRUNCATE: it empties the file
 *   to 0 bytes. It needs the write lock, but nobody is writing, and PASSIVE
 *   just copied everything, so it holds the lock for an fsync at most;
 * - when writes go on and the WAL is past twice the limit, RESTART: after
 *   the passive copy only the frames of the last moment are left to copy, and
 *   the next commit starts the WAL over and cuts it back to the limit
 *   (journal_size_limit, sqlite-file.ts). The writer waits for that copy,
 *   which is why it happens only this far over the limit.
 *
 * Both must wait for readers still reading old frames. While the
 * checkpointer holds the write lock no new frames appear, so readers that
 * start meanwhile read the database file and do not hold it up; only
 * readers already running do. The wait is short and doubles after every
 * round readers won (up to a ceiling), so a steady stream of readers
 * cannot starve the truncation forever.
 */

interface FileState {
  /** Frames in the WAL after the last round's PASSIVE checkpoint. */
  log: number;
  /** How long TRUNCATE or RESTART may wait for readers (busy_timeout, ms). */
  waitMs: number;
}

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

const FIRST_WAIT_MS = 20;
const MAX_WAIT_MS = 250;

const connections = new Map<string, Database.Database>();
const states = new Map<string, FileState>();

function walBytes(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0; // no WAL (yet)
  }
}

function checkpoint(db: Database.Database, mode: 'PASSIVE' | 'RESTART' | 'TRUNCATE'): CheckpointResult {
  return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[])[0]!;
}

function round(path: string, limit: number): void {
  let db = connections.get(path);
  if (!db) {
    db = new Database(path);
    db.pragma(`journal_size_limit = ${limit}`);
    // The store's backend files commit with NORMAL and sync their WAL afterwards (wal-sync.ts); a checkpoint syncs
    // the WAL before copying it and the database file before the log starts over, so nothing synced is lost to it.
    db.pragma('synchronous = FULL');
    connections.set(path, db);
  }
  const state = states.get(path) ?? { log: -1, waitMs: FIRST_WAIT_MS };
  states.set(path, state);

  // PASSIVE never waits, so no busy handler: a lock it cannot get just means fewer frames copied this round.
  db.pragma('busy_timeout = 0');
  const passive = checkpoint(db, 'PASSIVE');
  const idle = passive.log === state.log && passive.checkpointed === passive.log;
  state.log = passive.log;

  const size = walBytes(path);
  if (size <= limit || (!idle && size <= 2 * limit)) return;

  db.pragma(`busy_timeout = ${state.waitMs}`);
  const mode = idle ? 'TRUNCATE' : 'RESTART';
  const result = checkpoint(db, mode);
  if (result.busy) {
    state.waitMs = Math.min(state.waitMs * 2, MAX_WAIT_MS);
    // Expected now and then under steady writes (the writer holds the lock); worth a warning only when writes have
    // paused and readers still won at the longest wait.
    const starved = mode === 'TRUNCATE' && state.waitMs === MAX_WAIT_MS;
    parentPort!.postMessage({ deferred: path, mode, walBytes: size, nextWaitMs: state.waitMs, starved });
  } else {
    state.waitMs = FIRST_WAIT_MS;
    // TRUNCATE emptied it; after RESTART the next commit starts over.
    state.log = mode === 'TRUNCATE' ? 0 : result.log;
  }
}

parentPort!.on('message', (message: CheckpointRound | 'close') => {
  if (message === 'close') {
    for (const db of connections.values()) db.close();
    parentPort!.postMessage('closed');
    return;
  }
  for (const path of message.paths) {
    try {
      round(path, message.walSizeLimitBytes);
    } catch (err) {
      parentPort!.postMessage({ error: `${path}: ${(err as Error).message}` });
    }
  }
  parentPort!.postMessage('done');
});
