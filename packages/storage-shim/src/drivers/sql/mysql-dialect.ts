import { type Dialect, type RevisionColumnTypes, parenthesizedPart, revisionColumns, valueRows } from './dialect.js';

/** Longest key a MySQL backend holds: InnoDB indexes at most 3072 bytes, and history_key adds mod_revision. */
export const MYSQL_MAX_KEY_BYTES = 3000;

/**
 * Run on every connection, not taken from the server's defaults: strict
 * writes (a key too long for its column is an error, not a truncated key),
 * no silent fallback from InnoDB to another engine, and READ COMMITTED so
 * that compaction's DELETE on the reader takes no gap locks that would stall
 * the writer's inserts into history.
 */
export const MYSQL_SESSION: readonly string[] = [
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO'",
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
];

const quote = (column: string) => (column === 'key' ? '`key`' : column);

const MYSQL_TYPES: RevisionColumnTypes = {
  keyName: quote('key'),
  rowId: 'BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY',
  key: `VARBINARY(${MYSQL_MAX_KEY_BYTES})`,
  int64: 'BIGINT',
  value: 'LONGBLOB',
};

/**
 * MySQL's SQL, in the subset MariaDB, MySQL 8 and TiDB all run: `?`
 * placeholders (one per occurrence), a huge LIMIT for no limit (MySQL has no
 * LIMIT NULL or -1), `ON DUPLICATE KEY UPDATE c = VALUES(c)` upserts (the
 * row-alias form is MySQL 8 only), `DELETE ... ORDER BY id LIMIT n` (MySQL
 * cannot delete through a LIMIT subquery on the same table), InnoDB tables
 * with AUTO_INCREMENT row ids, VARBINARY keys and LONGBLOB values (compared
 * byte by byte, like SQLite's BLOB), BIGINT revisions and lease IDs, and
 * `key` quoted because it is a reserved word.
 */
export const mysqlDialect: Dialect = {
  name: 'mysql',
  key: quote('key'),
  placeholders: 'question',
  // Bound as a number literal: LIMIT takes no expression, and 2^53 - 1 rows is no limit.
  unlimited: Number.MAX_SAFE_INTEGER,
  emptyBlob: "X''",
  // One statement would materialize both halves, LONGBLOB values and all, in on-disk temporary tables. The
  // sessions read committed, where each statement has a snapshot of its own: the halves' transaction asks for
  // repeatable read, at which its first read takes the snapshot and the second reads the same one. Not WITH
  // CONSISTENT SNAPSHOT, which only moves that moment to the start: TiDB's grammar takes it or READ ONLY, not both.
  rangeInParts: {
    snapshot: ['SET TRANSACTION ISOLATION LEVEL REPEATABLE READ', 'START TRANSACTION READ ONLY'],
  },
  intAsText: (column) => `CAST(${column} AS CHAR)`,
  upsert: (table, columns, conflict, p, rows) =>
    `INSERT INTO ${table} (${columns.map(quote).join(', ')}) VALUES ${valueRows(columns, p, rows)}
      ON DUPLICATE KEY UPDATE ${columns
        .filter((c) => c !== conflict)
        .map((c) => `${quote(c)} = VALUES(${quote(c)})`)
        .join(', ')}`,
  // ORDER BY id makes the rows deleted deterministic, which statement-based replication requires.
  deleteLimited: (table, where, limit) => `DELETE FROM ${table} WHERE ${where} ORDER BY id LIMIT ${limit}`,
  compoundPart: parenthesizedPart,
  shared: {
    nowMs: 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)',
    // CREATE TABLE commits by itself in MySQL; IF NOT EXISTS and INSERT IGNORE make a second run, or a race, harmless.
    setup: (clusterId) => [
      'CREATE TABLE IF NOT EXISTS store_leases (id BIGINT NOT NULL PRIMARY KEY, ttl BIGINT NOT NULL, expires_at BIGINT NOT NULL) ENGINE=InnoDB',
      'CREATE TABLE IF NOT EXISTS store_txlog (revision BIGINT NOT NULL PRIMARY KEY, changes LONGBLOB NOT NULL) ENGINE=InnoDB',
      "INSERT IGNORE INTO meta (name, value) VALUES ('last_revision', '0')",
      `INSERT IGNORE INTO meta (name, value) VALUES ('cluster_id', '${clusterId}')`,
    ],
    // A batch waits 20 s for the revision lock at most. MySQL has no idle-in-transaction
    // timeout: a replica cut off while it holds the lock holds it until the server drops
    // its connection (docs/replicas.md).
    session: ['SET SESSION innodb_lock_wait_timeout = 20'],
    raiseCompact: (p) =>
      `INSERT INTO meta (name, value) VALUES ('compact_revision', ${p('rev')})
       ON DUPLICATE KEY UPDATE value = CAST(GREATEST(CAST(value AS SIGNED), CAST(VALUES(value) AS SIGNED)) AS CHAR)`,
    // Not INSERT IGNORE, which would also turn a value too long for its column into a warning and a cut value.
    insertIfAbsent: (rows) => `INSERT INTO meta (name, value) VALUES ${rows} ON DUPLICATE KEY UPDATE name = name`,
    // Error 1048, "Column 'name' cannot be null"
    guardRefused: 'ER_BAD_NULL_ERROR',
  },
  // DDL commits implicitly in MySQL, so a migration is not atomic: each
  // statement is written to be run again (IF NOT EXISTS, indexes inside
  // CREATE TABLE) and a migration interrupted half-way completes on the next
  // start. Statements are separated by `;` at the end of a line.
  migrations: [
    // 1: current state, MVCC history and per-backend bookkeeping, as in SQLite's schema.
    `
  CREATE TABLE IF NOT EXISTS kv (
    ${revisionColumns(MYSQL_TYPES)},
    UNIQUE KEY kv_key (\`key\`),
    KEY kv_mod (mod_revision, sub),
    KEY kv_lease (lease)
  ) ENGINE=InnoDB;

  CREATE TABLE IF NOT EXISTS history (
    ${revisionColumns(MYSQL_TYPES)},
    deleted INTEGER NOT NULL,
    superseded BIGINT NOT NULL,
    KEY history_key (\`key\`, mod_revision),
    KEY history_mod (mod_revision, sub)
  ) ENGINE=InnoDB;

  CREATE TABLE IF NOT EXISTS meta (
    name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    value TEXT CHARACTER SET utf8mb4
  ) ENGINE=InnoDB
  `,
  ],
};

/** A migration script as the single statements MySQL runs one at a time. */
export function mysqlStatements(script: string): string[] {
  return script
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
