/**
 * Read-only views of a data dir's SQLite files, for tests and demos that
 * show where each object landed. They live here because only this package
 * knows the schema (schema.ts: `kv` holds each key's live revision,
 * `history` the older ones; meta.db holds the leases). Each call opens the
 * file read-only: in WAL mode a reader never blocks the running store.
 */
import path from 'node:path';
import Database from 'better-sqlite3';

export type KeyTable = 'kv' | 'history';

function read<T>(file: string, query: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}

const utf8 = (rows: Array<{ key: Buffer }>): string[] => rows.map((r) => r.key.toString('utf8'));

/** Live keys starting with `prefix` in backend file `file` of `dataDir`, sorted. */
export function liveKeys(dataDir: string, file: string, prefix: string): string[] {
  return read(path.join(dataDir, file), (db) =>
    utf8(
      db
        .prepare('SELECT key FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key')
        .all(Buffer.byteLength(prefix), Buffer.from(prefix)) as Array<{ key: Buffer }>,
    ),
  );
}

/** Keys containing `needle` in one table of backend file `file` of `dataDir`, in write order. */
export function keysContaining(dataDir: string, file: string, table: KeyTable, needle: string): string[] {
  return read(path.join(dataDir, file), (db) =>
    utf8(
      db
        .prepare(`SELECT key FROM ${table === 'kv' ? 'kv' : 'history'} WHERE instr(key, ?) > 0 ORDER BY id`)
        .all(Buffer.from(needle)) as Array<{ key: Buffer }>,
    ),
  );
}

/** The lease `key` is attached to and its TTL in seconds, or null; `file` is a backend file of `dataDir`. */
export function leaseOfKey(dataDir: string, file: string, key: string): { id: number; ttl: number } | null {
  const lease = read(
    path.join(dataDir, file),
    (db) =>
      (db.prepare('SELECT lease FROM kv WHERE key = ?').get(Buffer.from(key)) as { lease: number } | undefined)
        ?.lease ?? 0,
  );
  if (lease === 0) return null;
  const row = read(
    path.join(dataDir, 'meta.db'),
    (db) => db.prepare('SELECT ttl FROM leases WHERE id = ?').get(lease) as { ttl: number } | undefined,
  );
  return row ? { id: lease, ttl: row.ttl } : null;
}
