import type { Dialect } from './dialect.js';

/**
 * PostgreSQL's SQL: `$1` placeholders (one number per distinct parameter),
 * `LIMIT NULL` for no limit, `ON CONFLICT ... DO UPDATE` upserts, `BIGSERIAL`
 * row ids, `BYTEA` keys and values (byte order, like SQLite's BLOB), BIGINT
 * revisions and lease IDs, and partial indexes.
 */
export const postgresDialect: Dialect = {
  name: 'postgres',
  key: 'key',
  placeholders: 'numbered',
  unlimited: null,
  emptyBlob: "'\\x'::bytea",
  intAsText: (column) => `${column}::text`,
  upsert: (table, columns, conflict, p) =>
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(p).join(', ')})
      ON CONFLICT (${conflict}) DO UPDATE SET ${columns
        .filter((c) => c !== conflict)
        .map((c) => `${c} = excluded.${c}`)
        .join(', ')}`,
  deleteLimited: (table, where, limit) =>
    `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${where} LIMIT ${limit})`,
  migrations: [
    // 1: current state, MVCC history and per-backend bookkeeping, as in SQLite's schema.
    `
  CREATE TABLE kv (
    id BIGSERIAL PRIMARY KEY,
    key BYTEA NOT NULL UNIQUE,
    create_revision BIGINT NOT NULL,
    mod_revision BIGINT NOT NULL,
    sub INTEGER NOT NULL,
    version BIGINT NOT NULL,
    lease BIGINT NOT NULL,
    value BYTEA NOT NULL
  );
  CREATE INDEX kv_mod ON kv (mod_revision, sub);
  CREATE INDEX kv_lease ON kv (lease) WHERE lease <> 0;

  CREATE TABLE history (
    id BIGSERIAL PRIMARY KEY,
    key BYTEA NOT NULL,
    create_revision BIGINT NOT NULL,
    mod_revision BIGINT NOT NULL,
    sub INTEGER NOT NULL,
    version BIGINT NOT NULL,
    lease BIGINT NOT NULL,
    value BYTEA NOT NULL,
    deleted INTEGER NOT NULL,
    superseded BIGINT NOT NULL
  );
  CREATE INDEX history_key ON history (key, mod_revision);
  CREATE INDEX history_mod ON history (mod_revision, sub);

  CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);
  `,
  ],
};
