import Database from 'better-sqlite3';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import { makePrivateDatabase } from './private-files.js';

/** The file whose lock says which process owns a data dir. */
export const LOCK_FILE = 'store.lock';

/**
 * Makes this process the only store on `dataDir`: main.db and meta.db are
 * its own, and a second process on them would take revisions of its own.
 * The lock is SQLite's own exclusive lock on a small file, held by an open
 * transaction: the operating system drops it when the process ends, however
 * it ends, so a killed store never leaves a stale lock behind.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  const path = join(dataDir, LOCK_FILE);
  makePrivateDatabase(path);
  // timeout 0: a second store must fail at once, not wait for the first to stop.
  const db = new Database(path, { timeout: 0 });
  try {
    // The file holds no data: its journal may stay in memory, so no -journal file appears beside it.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new StoreError(
      'CNPAAS_STORE_DATA_DIR_LOCKED',
      `another cnpaas-store already runs on --data-dir ${dataDir}`,
      'stop the other store first or give this one its own --data-dir; stores that share data put the main backend in a network database with --main-endpoint (docs/replicas.md)',
    );
  }
  return {
    release() {
      if (db.open) {
        db.exec('ROLLBACK');
        db.close();
      }
    },
  };
}
