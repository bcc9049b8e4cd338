import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors.js';

/**
 * Forward-only schema migrations for the backend files (meta.db has its own
 * list in meta-store.ts). A file's `PRAGMA user_version` records how many have
 * been applied, so a file written by an older store upgrades in place and a
 * newer file is refused.
 */
export const BACKEND_MIGRATIONS: readonly string[] = [
  // 1: current state, MVCC history and per-file bookkeeping.
  `
  CREATE TABLE kv (
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL UNIQUE,
    create_revision INTEGER NOT NULL,
    mod_revision INTEGER NOT NULL,
    sub INTEGER NOT NULL,
    version INTEGER NOT NULL,
    lease INTEGER NOT NULL,
    value BLOB NOT NULL
  );
  CREATE INDEX kv_mod ON kv (mod_revision, sub);
  CREATE INDEX kv_lease ON kv (lease) WHERE lease <> 0;

  -- Every version that is no longer current, plus delete tombstones. A row is
  -- visible at revisions [mod_revision, superseded); a tombstone has
  -- superseded = mod_revision and deleted = 1.
  CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL,
    create_revision INTEGER NOT NULL,
    mod_revision INTEGER NOT NULL,
    sub INTEGER NOT NULL,
    version INTEGER NOT NULL,
    lease INTEGER NOT NULL,
    value BLOB NOT NULL,
    deleted INTEGER NOT NULL,
    superseded INTEGER NOT NULL
  );
  CREATE INDEX history_key ON history (key, mod_revision);
  CREATE INDEX history_mod ON history (mod_revision, sub);

  CREATE TABLE meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = BACKEND_MIGRATIONS.length;

export function migrate(db: Database, file: string, migrations: readonly string[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new StoreError(
      'CNPAAS_STORE_SCHEMA',
      `${file} has schema version ${current}, newer than this store understands (${migrations.length})`,
      'run a cnpaas-store at least as new as the one that last wrote this file',
    );
  }
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
