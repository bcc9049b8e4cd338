import type { Statement } from 'better-sqlite3';
import type { KeyValue } from '../types.js';
import type { KeyRange } from '../keys.js';
import type { BackendDriver, ChangeRow } from '../mvcc/backend.js';
import { BACKEND_MIGRATIONS } from './schema.js';
import { SqliteFile } from './sqlite-file.js';

interface RawRow {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  lease: string | null;
  value: Buffer;
}

interface RawChangeRow extends RawRow {
  sub: number;
  deleted: number;
}

export interface SqliteDriverOptions {
  /** Absolute path of the database file. */
  path: string;
  /** false only for tests (--unsafe-no-fsync). */
  fsync: boolean;
}

// Lease IDs are int64; read them as text so no bit is lost, and skip the
// common no-lease case cheaply.
const COLUMNS = `key, create_revision, mod_revision, version,
  CASE lease WHEN 0 THEN NULL ELSE CAST(lease AS TEXT) END AS lease, value`;

const EMPTY_VALUE = Buffer.alloc(0);

function toKv(row: RawRow): KeyValue {
  return {
    key: row.key,
    createRevision: row.create_revision,
    modRevision: row.mod_revision,
    version: row.version,
    lease: row.lease === null ? 0n : BigInt(row.lease),
    value: row.value,
  };
}

type Bound = 'one' | 'between' | 'from';

function boundOf(range: KeyRange): Bound {
  if (range.end === null) return 'one';
  return range.end.length === 0 ? 'from' : 'between';
}

function boundSql(bound: Bound): string {
  switch (bound) {
    case 'one':
      return 'key = @start';
    case 'between':
      return 'key >= @start AND key < @end';
    case 'from':
      return 'key >= @start';
  }
}

/**
 * One SQLite file: the driver layer. It knows rows and SQL, nothing about
 * etcd requests; the revision store above decides what to write.
 */
export class SqliteDriver extends SqliteFile implements BackendDriver {
  readonly #cache = new Map<string, Statement>();
  readonly #get: Statement;
  readonly #upsert: Statement;
  readonly #toHistory: Statement;
  readonly #deleteKv: Statement;
  readonly #archiveStmt: Statement;
  readonly #prevOf: Statement;
  readonly #keysByLease: Statement;

  constructor(options: SqliteDriverOptions) {
    super({ ...options, migrations: BACKEND_MIGRATIONS });
    this.#get = this.db.prepare(`SELECT ${COLUMNS} FROM kv WHERE key = ?`);
    this.#upsert = this.db.prepare(`INSERT INTO kv (key, create_revision, mod_revision, sub, version, lease, value)
      VALUES (@key, @createRevision, @modRevision, @sub, @version, @lease, @value)
      ON CONFLICT (key) DO UPDATE SET create_revision = excluded.create_revision,
        mod_revision = excluded.mod_revision, sub = excluded.sub, version = excluded.version,
        lease = excluded.lease, value = excluded.value`);
    this.#toHistory = this.db.prepare(`INSERT INTO history
      (key, create_revision, mod_revision, sub, version, lease, value, deleted, superseded)
      VALUES (@key, @createRevision, @modRevision, @sub, @version, @lease, @value, @deleted, @superseded)`);
    this.#deleteKv = this.db.prepare('DELETE FROM kv WHERE key = ?');
    this.#archiveStmt = this.db.prepare(`INSERT INTO history
      (key, create_revision, mod_revision, sub, version, lease, value, deleted, superseded)
      SELECT key, create_revision, mod_revision, sub, version, lease, value, 0, ? FROM kv WHERE key = ?`);
    this.#prevOf = this.db.prepare(`SELECT ${COLUMNS} FROM history
      WHERE key = ? AND superseded = ? AND mod_revision < ? AND deleted = 0 ORDER BY mod_revision DESC LIMIT 1`);
    this.#keysByLease = this.db.prepare('SELECT key FROM kv WHERE lease = ? ORDER BY key').pluck();
  }

  /** The newest revision written to this file, kept even when compaction removes rows. */
  lastRevision(): number {
    return Number(this.getMeta('last_revision') ?? 0);
  }

  /** Commits the batch and records the newest revision it holds, in the same transaction. */
  // Synchronous on purpose: see the note in mvcc/backend.ts.
  override commit(lastRevision?: number): void {
    if (!this.inTransaction) return;
    if (lastRevision !== undefined) this.setMeta('last_revision', lastRevision);
    super.commit();
  }

  get(key: Buffer): KeyValue | undefined {
    const row = this.#get.get(key) as RawRow | undefined;
    return row && toKv(row);
  }

  /** Keys in `range` at `revision` (null: current), in key order. */
  range(range: KeyRange, revision: number | null, limit: number, keysOnly = false): KeyValue[] {
    if (range.end === null && revision === null) {
      // The hot path of every Get: one prepared point lookup, no ORDER BY/LIMIT plan.
      const kv = this.get(range.start);
      if (!kv) return [];
      return [keysOnly ? { ...kv, value: EMPTY_VALUE } : kv];
    }
    const bound = boundOf(range);
    const columns = keysOnly ? COLUMNS.replace(', value', ", x'' AS value") : COLUMNS;
    const sql =
      revision === null
        ? `SELECT ${columns} FROM kv WHERE ${boundSql(bound)} ORDER BY key LIMIT @limit`
        : `SELECT * FROM (
             SELECT ${columns} FROM kv WHERE ${boundSql(bound)} AND mod_revision <= @rev
             UNION ALL
             SELECT ${columns} FROM history WHERE ${boundSql(bound)} AND mod_revision <= @rev AND superseded > @rev AND deleted = 0
           ) ORDER BY key LIMIT @limit`;
    const rows = this.#prepared(sql).all(this.#params(range, revision, limit)) as RawRow[];
    return rows.map(toKv);
  }

  count(range: KeyRange, revision: number | null): number {
    const bound = boundOf(range);
    const sql =
      revision === null
        ? `SELECT count(*) FROM kv WHERE ${boundSql(bound)}`
        : `SELECT (SELECT count(*) FROM kv WHERE ${boundSql(bound)} AND mod_revision <= @rev)
                + (SELECT count(*) FROM history WHERE ${boundSql(bound)} AND mod_revision <= @rev AND superseded > @rev AND deleted = 0)`;
    return this.#prepared(sql).pluck().get(this.#params(range, revision)) as number;
  }

  /** Writes `kv` as the key's new current version; `prev` moves to history. */
  put(kv: KeyValue, sub: number, prev: KeyValue | undefined): void {
    if (prev) this.#archive(kv.key, kv.modRevision);
    this.#upsert.run({ ...kv, lease: kv.lease, sub });
  }

  delete(key: Buffer, revision: number, sub: number): void {
    this.#archive(key, revision);
    this.#toHistory.run({
      key,
      createRevision: 0,
      modRevision: revision,
      sub,
      version: 0,
      lease: 0,
      value: Buffer.alloc(0),
      deleted: 1,
      superseded: revision,
    });
    this.#deleteKv.run(key);
  }

  /** Moves the key's current row to history; SQLite copies it without a round trip through JS. */
  #archive(key: Buffer, superseded: number): void {
    this.#archiveStmt.run(superseded, key);
  }

  /** The key's version that was current just before `revision`, for a watch event's prev_kv. */
  prevOf(key: Buffer, revision: number): KeyValue | undefined {
    const row = this.#prevOf.get(key, revision, revision) as RawRow | undefined;
    return row && toKv(row);
  }

  /** Every change to a key of `range` with `from <= revision <= to`, in revision order. */
  changes(range: KeyRange, from: number, to: number): ChangeRow[] {
    const where = `${boundSql(boundOf(range))} AND mod_revision >= @from AND mod_revision <= @to`;
    const rows = this.#prepared(
      `
      SELECT ${COLUMNS}, sub, 0 AS deleted FROM kv WHERE ${where}
      UNION ALL
      SELECT ${COLUMNS}, sub, deleted FROM history WHERE ${where}
      ORDER BY mod_revision, sub`,
    ).all({ ...this.#params(range, null), from, to }) as RawChangeRow[];
    return rows.map((row) => ({ kv: toKv(row), sub: row.sub, deleted: row.deleted === 1 }));
  }

  keysWithLease(lease: bigint): Buffer[] {
    return this.#keysByLease.all(lease) as Buffer[];
  }

  /**
   * Removes history no read at or after `revision` can see. Rows written at
   * exactly `revision` stay, so a watch opened at the compact revision still
   * gets its events (etcd#18089, #19179). Returns how many rows it removed;
   * call again until 0.
   */
  compact(revision: number, batch: number): number {
    // Found through history_mod: a superseded row always has mod_revision < superseded.
    return this.#prepared(
      `DELETE FROM history WHERE id IN (
        SELECT id FROM history WHERE mod_revision < @rev AND superseded <= @rev LIMIT @batch)`,
    ).run({ rev: revision, batch }).changes;
  }

  keyCount(): number {
    return this.#prepared('SELECT count(*) FROM kv').pluck().get() as number;
  }

  #prepared(sql: string): Statement {
    let stmt = this.#cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  #params(range: KeyRange, revision: number | null, limit?: number): Record<string, unknown> {
    const params: Record<string, unknown> = { start: range.start };
    if (limit !== undefined) params.limit = limit;
    if (range.end !== null && range.end.length > 0) params.end = range.end;
    if (revision !== null) params.rev = revision;
    return params;
  }
}
