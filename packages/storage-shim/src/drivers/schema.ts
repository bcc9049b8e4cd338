import type { Database } from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { sqliteDialect } from './sql/sqlite-dialect.js';

/**
 * How many schema migrations a SQLite backend file has once it is current
 * (the migrations are SQLite's dialect's; meta.db has its own list in
 * meta-store.ts). A file's `PRAGMA user_version` records how many have been
 * applied, so a file written by an older store upgrades in place and a newer
 * file is refused.
 */
export const SCHEMA_VERSION = sqliteDialect.migrations.length;

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
