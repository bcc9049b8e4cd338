import type { Statement } from 'better-sqlite3';
import type { KeyValue } from '../types.js';
import type { KeyRange } from '../keys.js';
import type { BackendDriver, ChangeRow, KeyAtRevision, LabelLookup } from '../mvcc/backend.js';
import { PrefixCounts } from './prefix-counts.js';
import { SqliteLabelIndex } from './sqlite-label-index.js';
import { SqliteFile } from './sqlite-file.js';
import type { Datasync, DatasyncNow } from './wal-sync.js';
import { BackendStatements, boundOf, upsertValues } from './sql/statements.js';
import type { Compiled } from './sql/dialect.js';
import { sqliteDialect } from './sql/sqlite-dialect.js';

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
  /** The size the WAL file is cut back to; default WAL_SIZE_LIMIT_BYTES. */
  walSizeLimitBytes?: number;
  /** Keep the label index (--label-index); without it a file's index is dropped and a label-selected Range scans. */
  labelIndex?: boolean;
  /** Tests: what the WAL sync calls instead of fs.fdatasync (and fs.fdatasyncSync). */
  datasync?: Datasync;
  datasyncNow?: DatasyncNow;
}

const EMPTY_VALUE = Buffer.alloc(0);

/** Every SQLite backend runs the same statements; they are built once. */
const SQL = new BackendStatements(sqliteDialect);

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

/**
 * One SQLite file: the driver layer. It knows rows and SQL, nothing about
 * etcd requests; the revision store above decides what to write.
 */
export class SqliteDriver extends SqliteFile implements BackendDriver {
  readonly #cache = new Map<Compiled, Statement>();
  readonly #get: Statement;
  readonly #upsert: Statement;
  readonly #tombstone: Statement;
  readonly #deleteKv: Statement;
  readonly #archiveStmt: Statement;
  readonly #prevOf: Statement;
  readonly #keysByLease: Statement;
  readonly #counts: PrefixCounts;
  /** Undefined without --label-index: nothing written per version. */
  readonly #labels: SqliteLabelIndex | undefined;
  /**
   * A label-selected range from the label index (selectors/label-index.ts); absent without
   * --label-index, and a driver without it is scanned, as any other.
   */
  readonly rangeByLabel?: (range: KeyRange, revision: number | null, lookups: readonly LabelLookup[]) => KeyValue[];
  /**
   * Inside a batch, the last key read and its row: a txn's compare reads the key its put then reads again for
   * the previous version (create and update txns both do). Cleared by every write and rollback of this file,
   * and at the commit; outside a batch nothing is kept.
   */
  #lastRead: { key: Buffer; kv: KeyValue | undefined } | undefined;

  constructor(options: SqliteDriverOptions) {
    // With fsync, a commit is durable once the WAL's fdatasync (thread pool) is done, not inside COMMIT.
    super({ ...options, migrations: sqliteDialect.migrations, syncAfterCommit: true });
    this.#get = this.#prepared(SQL.get);
    this.#upsert = this.#prepared(SQL.upsert);
    this.#tombstone = this.#prepared(SQL.tombstone);
    this.#deleteKv = this.#prepared(SQL.deleteKv);
    this.#archiveStmt = this.#prepared(SQL.archive);
    this.#prevOf = this.#prepared(SQL.prevOf);
    this.#keysByLease = this.db.prepare(SQL.keysByLease.text).pluck();
    this.#counts = new PrefixCounts(this.db);
    if (this.getMeta('counts_built') === undefined) {
      this.#counts.rebuild(this.lastRevision());
      this.setMeta('counts_built', 1);
    }
    const labels = this.#openLabelIndex(options.labelIndex === true);
    this.#labels = labels;
    if (labels)
      this.rangeByLabel = (range, revision, lookups) => labels.lookup<RawRow>(range, revision, lookups).map(toKv);
  }

  /**
   * The index is kept only when asked for: every version costs a row per label (a marker row for a
   * value whose labels cannot be read, as kube-apiserver's default protobuf ones), which a store that
   * never receives a selector would pay for nothing. `labels_built` says the table is complete; a
   * store started without the index empties it and clears the mark, so the next start with it fills
   * it again from the rows (as for a file from before the index), in one transaction.
   */
  #openLabelIndex(wanted: boolean): SqliteLabelIndex | undefined {
    const index = new SqliteLabelIndex(this.db);
    const built = this.getMeta('labels_built') !== undefined;
    if (wanted && !built) {
      this.db.transaction(() => {
        index.build();
        this.setMeta('labels_built', 1);
      })();
    } else if (!wanted && built) {
      this.db.transaction(() => {
        index.clear();
        this.db.prepare('DELETE FROM meta WHERE name = ?').run('labels_built');
      })();
    }
    return wanted ? index : undefined;
  }

  /** The newest revision written to this file, kept even when compaction removes rows. */
  lastRevision(): number {
    return Number(this.getMeta('last_revision') ?? 0);
  }

  /**
   * Commits the batch and records the newest revision it holds, in the same transaction. COMMIT itself is
   * synchronous (see the note in mvcc/backend.ts); with fsync the promise resolves once the WAL is on disk, and
   * until then the revision store answers reads at the revision before this batch. A lone batch (`alone`) is
   * synced on this thread instead when no pooled sync is pending: durable on return.
   */
  commit(lastRevision?: number, alone = false): Promise<void> | undefined {
    if (!this.inTransaction) return undefined;
    this.#lastRead = undefined;
    this.#counts.flush();
    if (lastRevision !== undefined) this.setMeta('last_revision', lastRevision);
    this.commitTransaction();
    if (!this.syncsAfterCommit || (alone && this.syncWalNow())) return undefined;
    return this.syncWal();
  }

  // The batch's count deltas wait in memory until the commit (prefix-counts.ts): a savepoint writes them first, so
  // undoing to it drops only what came after it, and a rollback drops them all.
  override savepoint(): void {
    this.#counts.flush();
    super.savepoint();
  }

  override rollbackToSavepoint(): void {
    this.#lastRead = undefined;
    this.#counts.discard();
    super.rollbackToSavepoint();
  }

  override rollback(): void {
    this.#lastRead = undefined;
    this.#counts.discard();
    super.rollback();
  }

  get(key: Buffer): KeyValue | undefined {
    const last = this.#lastRead;
    if (last?.key.equals(key)) return last.kv;
    const row = this.#get.get({ key }) as RawRow | undefined;
    const kv = row && toKv(row);
    if (this.inTransaction) this.#lastRead = { key, kv };
    return kv;
  }

  /** Keys in `range` at `revision` (null: current), in key order. */
  range(range: KeyRange, revision: number | null, limit: number, keysOnly = false): KeyValue[] {
    if (range.end === null) {
      // The hot path of every Get: one prepared point lookup, no ORDER BY/LIMIT plan. At a past revision it still
      // answers when the current row is no newer (nothing changed the key since): the case of a Get pinned to the
      // last durable revision while a batch syncs. Otherwise history has the answer.
      const kv = this.get(range.start);
      if (revision === null || (kv && kv.modRevision <= revision)) {
        if (!kv) return [];
        return [keysOnly ? { ...kv, value: EMPTY_VALUE } : kv];
      }
    }
    const stmt = this.#prepared(SQL.range(boundOf(range), revision !== null, keysOnly));
    const rows = stmt.all(this.#params(range, revision, limit < 0 ? sqliteDialect.unlimited : limit)) as RawRow[];
    return rows.map(toKv);
  }

  count(range: KeyRange, revision: number | null): number {
    const counted = this.#counts.count(range, revision);
    if (counted !== undefined) return counted;
    const stmt = this.#prepared(SQL.count(boundOf(range), revision !== null));
    return stmt.pluck().get(this.#params(range, revision)) as number;
  }

  /** Writes `kv` as the key's new current version; `prev` moves to history. */
  put(kv: KeyValue, sub: number, prev: KeyValue | undefined): void {
    if (prev) {
      this.#archive(kv.key, kv.modRevision);
      this.#labels?.closed(prev, kv.modRevision);
    } else this.#counts.created(kv.key, kv.modRevision);
    this.#upsert.run(upsertValues(kv, sub));
    this.#labels?.written(kv.key, kv.modRevision, kv.value);
    this.#lastRead = undefined;
  }

  delete(key: Buffer, revision: number, sub: number): void {
    if (this.#labels) {
      const current = this.get(key);
      if (current) this.#labels.closed(current, revision);
    }
    this.#archive(key, revision);
    this.#tombstone.run({ key, rev: revision, sub });
    if (this.#deleteKv.run({ key }).changes > 0) this.#counts.deleted(key, revision);
    // Last: the label index's read of the current row above went through get().
    this.#lastRead = undefined;
  }

  /** Moves the key's current row to history; SQLite copies it without a round trip through JS. */
  #archive(key: Buffer, superseded: number): void {
    this.#archiveStmt.run({ superseded, key });
  }

  /** The key's version that was current just before `revision`, for a watch event's prev_kv. */
  prevOf(key: Buffer, revision: number): KeyValue | undefined {
    const row = this.#prevOf.get({ key, rev: revision }) as RawRow | undefined;
    return row && toKv(row);
  }

  /** In-process, one indexed lookup each costs microseconds: no need to merge them. */
  prevsOf(changes: readonly KeyAtRevision[]): Array<KeyValue | undefined> {
    return changes.map((c) => this.prevOf(c.key, c.revision));
  }

  /** Every change to a key of `range` with `from <= revision <= to`, in revision order. */
  changes(range: KeyRange, from: number, to: number): ChangeRow[] {
    const rows = this.#prepared(SQL.changes(boundOf(range))).all({
      ...this.#params(range, null),
      from,
      to,
    }) as RawChangeRow[];
    return rows.map((row) => ({ kv: toKv(row), sub: row.sub, deleted: row.deleted === 1 }));
  }

  keysWithLease(lease: bigint): Buffer[] {
    return this.#keysByLease.all({ lease }) as Buffer[];
  }

  /**
   * Removes history no read at or after `revision` can see. Rows written at
   * exactly `revision` stay, so a watch opened at the compact revision still
   * gets its events (etcd#18089, #19179). Returns how many rows it removed;
   * call again until 0.
   */
  compact(revision: number, batch: number): number {
    return (
      this.#prepared(SQL.compact).run({ rev: revision, batch }).changes + (this.#labels?.compact(revision, batch) ?? 0)
    );
  }

  keyCount(): number {
    return this.#prepared(SQL.keyCount).pluck().get() as number;
  }

  #prepared(sql: Compiled): Statement {
    let stmt = this.#cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql.text);
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  #params(range: KeyRange, revision: number | null, limit?: number | bigint | null): Record<string, unknown> {
    const params: Record<string, unknown> = { start: range.start };
    if (limit !== undefined) params.limit = limit;
    if (range.end !== null && range.end.length > 0) params.end = range.end;
    if (revision !== null) params.rev = revision;
    return params;
  }
}
