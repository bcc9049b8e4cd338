import { type Dialect, deleteLimitedById, onConflictUpsert, parenthesizedPart, revisionTables } from './dialect.js';

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
  upsert: onConflictUpsert,
  deleteLimited: deleteLimitedById,
  compoundPart: parenthesizedPart,
  shared: {
    nowMs: '(extract(epoch from clock_timestamp()) * 1000)::bigint',
    setup: (clusterId) => [
      // Replicas that start together on a fresh database create these one at a time.
      'SELECT pg_advisory_xact_lock(7165064463812390514)',
      'CREATE TABLE IF NOT EXISTS store_leases (id BIGINT PRIMARY KEY, ttl BIGINT NOT NULL, expires_at BIGINT NOT NULL)',
      'CREATE TABLE IF NOT EXISTS store_txlog (revision BIGINT PRIMARY KEY, changes BYTEA NOT NULL)',
      "INSERT INTO meta (name, value) VALUES ('last_revision', '0') ON CONFLICT (name) DO NOTHING",
      `INSERT INTO meta (name, value) VALUES ('cluster_id', '${clusterId}') ON CONFLICT (name) DO NOTHING`,
    ],
    // A replica cut off while it holds the revision lock loses it after 15 s; a batch waits 20 s for it at most.
    session: ["SET SESSION idle_in_transaction_session_timeout = '15s'", "SET SESSION lock_timeout = '20s'"],
    raiseCompact: (p) =>
      `INSERT INTO meta (name, value) VALUES ('compact_revision', ${p('rev')}) ON CONFLICT (name)
       DO UPDATE SET value = greatest(meta.value::bigint, excluded.value::bigint)::text`,
    insertIfAbsent: (rows) => `INSERT INTO meta (name, value) VALUES ${rows} ON CONFLICT (name) DO NOTHING`,
    // not_null_violation
    guardRefused: '23502',
  },
  migrations: [
    // 1: current state, MVCC history and per-backend bookkeeping, as in SQLite's schema.
    `${revisionTables({ rowId: 'BIGSERIAL PRIMARY KEY', key: 'BYTEA', int64: 'BIGINT', value: 'BYTEA' })}
  CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);
  `,
    // 2: history_key carries `superseded`, so a read at a revision checks "visible at rev" on the index entry and
    // fetches only the rows it returns. Without it, each page of a list at a revision fetched every older version
    // in the rest of its range from the heap to find none visible. In one transaction: the store's readers never
    // see history without an index on its keys.
    `DROP INDEX history_key;
  CREATE INDEX history_key ON history (key, mod_revision, superseded);
  `,
  ],
};
