/**
 * Read-only views of a data dir's SQLite files (and of a PostgreSQL or MySQL
 * backend's tables), for tests and demos that show where each object landed. They live here because only this package
 * knows the schema (schema.ts: `kv` holds each key's live revision,
 * `history` the older ones; meta.db holds the leases). Each call opens the
 * file read-only: in WAL mode a reader never blocks the running store.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseMysqlEndpoint } from './mysql-endpoint.js';
import { parsePostgresEndpoint } from './postgres-endpoint.js';

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

/**
 * Keys containing `needle`, live or historical, in a PostgreSQL or MySQL
 * backend (`endpoint` as the topology writes it; `password` when it is not
 * in the endpoint). Same tables as the SQLite files; a short-lived client
 * connection that only reads.
 */
export async function networkKeysContaining(options: {
  endpoint: string;
  password?: string;
  needle: string;
}): Promise<string[]> {
  const { endpoint, password, needle } = options;
  const bytes = Buffer.from(needle);
  if (/^postgres(ql)?:\/\//.test(endpoint)) {
    const { config } = parsePostgresEndpoint(endpoint);
    const client = new pg.Client({ ...config, ...(password ? { password } : {}) });
    await client.connect();
    try {
      const { rows } = await client.query<{ key: Buffer }>(
        'SELECT key FROM kv WHERE position($1::bytea in key) > 0 UNION SELECT key FROM history WHERE position($1::bytea in key) > 0 ORDER BY key',
        [bytes],
      );
      return utf8(rows);
    } finally {
      await client.end();
    }
  }
  if (endpoint.startsWith('mysql://')) {
    const { config } = parseMysqlEndpoint(endpoint);
    const connection = await mysql.createConnection({ ...config, ...(password ? { password } : {}) });
    try {
      const [rows] = await connection.query(
        'SELECT `key` FROM kv WHERE INSTR(`key`, ?) > 0 UNION SELECT `key` FROM history WHERE INSTR(`key`, ?) > 0 ORDER BY `key`',
        [bytes, bytes],
      );
      return utf8(rows as Array<{ key: Buffer }>);
    } finally {
      await connection.end();
    }
  }
  throw new Error(`networkKeysContaining: ${endpoint.split('://')[0]}:// is not a PostgreSQL or MySQL endpoint`);
}
