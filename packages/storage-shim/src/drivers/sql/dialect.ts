/**
 * What differs between SQL databases, for the statements in statements.ts
 * (kine splits its SQL the same way: `generic` holds the queries, each
 * `Dialect` only what its database spells differently). Each dialect family
 * keeps its own SQL text in its one dialect file; the schema's kv and history
 * tables, the same in every database but for their column types, are written
 * once here (`revisionColumns`, `revisionTables`).
 */
export interface Dialect {
  readonly name: string;
  /**
   * How a statement names its parameters: `@name` (SQLite, bound from an
   * object), `$1` (PostgreSQL, one number per distinct name) or `?` (MySQL,
   * one per occurrence). Statements are written with names either way.
   */
  readonly placeholders: 'named' | 'numbered' | 'question';
  /** The key column as a statement must name it: `key` is a reserved word in MySQL. */
  readonly key: string;
  /** What to bind as a LIMIT that limits nothing (SQLite -1, PostgreSQL NULL, MySQL a huge number). */
  readonly unlimited: number | bigint | null;
  /**
   * Set where a range at a revision is read as its two halves, one statement
   * each, merged by the driver (`BackendStatements.rangeAt`), rather than as
   * one statement (`range`): the statements that open a read-only
   * transaction in which both halves see one snapshot. Each in autocommit
   * would see its own, and a commit between them moves a key's version from
   * kv to history unseen by both, or into both.
   */
  readonly rangeInParts?: { readonly snapshot: readonly string[] };
  /** An empty byte string literal, for the value column of a keys_only read. */
  readonly emptyBlob: string;
  /** A 64-bit integer column as decimal text, so a lease ID loses no bit in JavaScript. */
  intAsText(column: string): string;
  /**
   * INSERT a row (or `rows` rows), or update every other column where
   * `conflict` already exists. `columns` are bare names, and the parameters
   * are named as `valueRows` names them; the dialect quotes what it must.
   * The rows must not repeat a `conflict` value (PostgreSQL refuses to update
   * one row twice in a statement).
   */
  upsert(table: string, columns: readonly string[], conflict: string, param: Param, rows?: number): string;
  /** DELETE at most `limit` rows of `table` (which has an `id` key) matching `where`. */
  deleteLimited(table: string, where: string, limit: string): string;
  /**
   * A SELECT with its own ORDER BY and LIMIT written as one part of a
   * compound SELECT (UNION ALL): in parentheses, or, where the parser takes
   * no parenthesised part (SQLite), as a subquery.
   */
  compoundPart(select: string): string;
  /**
   * Forward-only schema migrations of a backend: the kv, history and meta
   * tables with this database's blob type, auto-increment key and indexes.
   */
  readonly migrations: readonly string[];
  /** What replicas need of this database (drivers/shared-meta.ts); absent where they are not supported. */
  readonly shared?: SharedMetaSql;
}

/**
 * The SQL of replicas' shared meta, beside a backend's tables
 * (docs/replicas.md): the leases table, the revision log of batches that
 * span databases, the rows every replica expects in `meta`, and the
 * database's clock.
 */
export interface SharedMetaSql {
  /** Milliseconds since the epoch on the database server's clock. */
  readonly nowMs: string;
  /** Run in one transaction at start-up; creating what is already there is a no-op. */
  setup(clusterId: string): string[];
  /** Session settings of the writer connection (bounds on how long a lock may be held or waited for). */
  readonly session: readonly string[];
  /** Sets `compact_revision` to the parameter `rev` unless it is already higher. */
  readonly raiseCompact: (p: Param) => string;
  /**
   * Inserts `meta` rows (`rows`: a VALUES list of (name, value)), leaving
   * each row that exists as it is, in one statement: of two replicas
   * racing, one inserts and the other reads what it inserted.
   */
  insertIfAbsent(rows: string): string;
  /** The error code (SQLSTATE, or mysql2's name) of a NULL primary key: an optimistic batch's guard refusing it. */
  readonly guardRefused: string;
}

/** Writes a named parameter in the dialect's placeholder style. */
export type Param = (name: string) => string;

/** A statement in one dialect, with the parameter names in binding order. */
export interface Compiled {
  readonly text: string;
  /** For positional placeholders: which named value goes at each position. */
  readonly names: readonly string[];
}

/** Builds a statement from a template that writes its parameters with `p(name)`. */
export function compile(dialect: Dialect, template: (p: Param) => string): Compiled {
  const names: string[] = [];
  switch (dialect.placeholders) {
    case 'named':
      return { text: template((name) => `@${name}`), names };
    case 'numbered': {
      const text = template((name) => {
        let i = names.indexOf(name);
        if (i < 0) i = names.push(name) - 1;
        return `$${i + 1}`;
      });
      return { text, names };
    }
    case 'question': {
      // A template may write a fragment once and use it twice, so the order of
      // the p() calls is not the order in the text: mark each parameter, then
      // read the names off the finished text, one per `?`.
      const text = template((name) => `{{${name}}}`).replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
        names.push(name);
        return '?';
      });
      return { text, names };
    }
  }
}

/** The values of a statement's parameters, in the form its driver binds them. */
export function bind(statement: Compiled, dialect: Dialect, values: Record<string, unknown>): unknown {
  if (dialect.placeholders === 'named') return values;
  return statement.names.map((n) => {
    if (!(n in values)) throw new Error(`statement parameter "${n}" has no value`);
    return values[n];
  });
}

/**
 * `(…), (…)`: the parameters of one row named by their columns (`key`), or,
 * given a number of rows, by column and row number (`key0`, `key1`, …).
 */
export function valueRows(columns: readonly string[], p: Param, rows?: number): string {
  if (rows === undefined) return `(${columns.map(p).join(', ')})`;
  return Array.from({ length: rows }, (_, i) => `(${columns.map((c) => p(`${c}${i}`)).join(', ')})`).join(', ');
}

/** The named values of row `i` of a `valueRows` statement of several rows. */
export function rowValues(values: Record<string, unknown>, i: number, into: Record<string, unknown>): void {
  for (const [column, value] of Object.entries(values)) into[`${column}${i}`] = value;
}

/** The standard `ON CONFLICT ... DO UPDATE` upsert, as SQLite and PostgreSQL both spell it. */
export const onConflictUpsert: Dialect['upsert'] = (table, columns, conflict, p, rows) =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${valueRows(columns, p, rows)}
      ON CONFLICT (${conflict}) DO UPDATE SET ${columns
        .filter((c) => c !== conflict)
        .map((c) => `${c} = excluded.${c}`)
        .join(', ')}`;

/**
 * A limited DELETE through a subquery on the row id: SQLite has DELETE ...
 * LIMIT only as a compile-time option, PostgreSQL not at all, and the
 * subquery works in both.
 */
export const deleteLimitedById: Dialect['deleteLimited'] = (table, where, limit) =>
  `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${where} LIMIT ${limit})`;

/** A database's column types for the schema's kv and history tables. */
export interface RevisionColumnTypes {
  /** The key column's name as the database must write it (`Dialect.key`); default `key`. */
  readonly keyName?: string;
  /** The auto-increment row id, PRIMARY KEY included. */
  readonly rowId: string;
  /** The key: bytes, compared byte by byte. */
  readonly key: string;
  /** A revision, a version or a lease ID: 64-bit integers. */
  readonly int64: string;
  /** The value: bytes of any length. */
  readonly value: string;
}

/**
 * The columns a key's revision has both in kv (its current one) and in
 * history (every one), in the dialect's spelling; `keyConstraint` follows the
 * key column's type (` UNIQUE` in kv where the database takes it inline).
 */
export function revisionColumns(types: RevisionColumnTypes, keyConstraint = ''): string {
  return [
    `id ${types.rowId}`,
    `${types.keyName ?? 'key'} ${types.key} NOT NULL${keyConstraint}`,
    `create_revision ${types.int64} NOT NULL`,
    `mod_revision ${types.int64} NOT NULL`,
    'sub INTEGER NOT NULL',
    `version ${types.int64} NOT NULL`,
    `lease ${types.int64} NOT NULL`,
    `value ${types.value} NOT NULL`,
  ].join(',\n    ');
}

/**
 * kv and history with their indexes, as SQLite and PostgreSQL both write
 * them (standalone CREATE INDEX, partial where only leased keys matter).
 * history holds every version that is no longer current, plus delete
 * tombstones: a row is visible at revisions [mod_revision, superseded), and a
 * tombstone has superseded = mod_revision and deleted = 1.
 */
export function revisionTables(types: RevisionColumnTypes): string {
  return `
  CREATE TABLE kv (
    ${revisionColumns(types, ' UNIQUE')}
  );
  CREATE INDEX kv_mod ON kv (mod_revision, sub);
  CREATE INDEX kv_lease ON kv (lease) WHERE lease <> 0;

  CREATE TABLE history (
    ${revisionColumns(types)},
    deleted INTEGER NOT NULL,
    superseded ${types.int64} NOT NULL
  );
  CREATE INDEX history_key ON history (key, mod_revision);
  CREATE INDEX history_mod ON history (mod_revision, sub);
`;
}

/** A compound SELECT's ordered part in parentheses, as PostgreSQL and MySQL write it. */
export const parenthesizedPart = (select: string): string => `(${select})`;
