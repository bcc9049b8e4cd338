import { type Dialect, deleteLimitedById, onConflictUpsert, revisionTables } from './dialect.js';

/**
 * SQLite's SQL, all of it that is SQLite's own: named `@param` placeholders
 * (better-sqlite3 binds them from an object), `LIMIT -1` for no limit,
 * `ON CONFLICT ... DO UPDATE` upserts, `INTEGER PRIMARY KEY` as the
 * auto-increment row id, BLOB keys and values, and partial indexes.
 */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  key: 'key',
  placeholders: 'named',
  unlimited: -1,
  emptyBlob: "x''",
  intAsText: (column) => `CAST(${column} AS TEXT)`,
  upsert: onConflictUpsert,
  deleteLimited: deleteLimitedById,
  compoundPart: (select) => `SELECT * FROM (${select})`,
  // A file's `PRAGMA user_version` counts the applied ones (schema.ts).
  migrations: [
    // 1: current state, MVCC history and per-file bookkeeping.
    `${revisionTables({ rowId: 'INTEGER PRIMARY KEY', key: 'BLOB', int64: 'INTEGER', value: 'BLOB' })}
  CREATE TABLE meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
  `,
    // 2: live keys per directory prefix, kept with every create and delete (prefix-counts.ts). The driver fills it
    // from kv the first time it opens a file that had none.
    `
  CREATE TABLE counts (prefix BLOB PRIMARY KEY, n INTEGER NOT NULL, changed INTEGER NOT NULL) WITHOUT ROWID;
  `,
    // 3: the label index (selectors/label-index.ts): one row per label of each stored version, visible at revisions
    // [revision, superseded) like a history row; an open row has superseded = LABEL_OPEN (2^53 - 1). The primary key
    // answers a lookup by label in key order, and closes a version's rows when it is superseded or deleted. Only
    // closed rows are in label_index_closed, which compaction walks: the open rows, nearly all of them, are stored
    // once. The driver fills the table from kv and history the first time it opens a file that had none.
    `
  CREATE TABLE label_index (
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    key BLOB NOT NULL,
    revision INTEGER NOT NULL,
    superseded INTEGER NOT NULL,
    PRIMARY KEY (name, value, key, revision)
  ) WITHOUT ROWID;
  CREATE INDEX label_index_closed ON label_index (superseded) WHERE superseded < 9007199254740991;
  `,
  ],
};
