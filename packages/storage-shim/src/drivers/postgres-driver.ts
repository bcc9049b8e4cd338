import { StoreError } from '../errors.js';
import type { KeyRange } from '../keys.js';
import type { BackendDriver, ChangeRow } from '../mvcc/backend.js';
import type { KeyValue } from '../types.js';
import { PostgresBridge, PostgresQueryError } from './postgres-bridge.js';
import type { PostgresEndpoint } from './postgres-endpoint.js';
import { type Compiled, bind } from './sql/dialect.js';
import { postgresDialect } from './sql/postgres-dialect.js';
import { BackendStatements, boundOf } from './sql/statements.js';

const SQL = new BackendStatements(postgresDialect);
const EMPTY_VALUE = Buffer.alloc(0);

/** A revision row as pg returns it (bigints as decimal strings). */
export interface Row {
  key: Buffer;
  create_revision: string;
  mod_revision: string;
  version: string;
  lease: string | null;
  value: Buffer;
  sub?: number;
  deleted?: number;
}

function toKv(r: Record<string, unknown>): KeyValue {
  const row = r as unknown as Row;
  return {
    key: row.key,
    createRevision: Number(row.create_revision),
    modRevision: Number(row.mod_revision),
    version: Number(row.version),
    lease: row.lease === null ? 0n : BigInt(row.lease),
    value: row.value,
  };
}

/**
 * One backend in a PostgreSQL database (the same tables as a SQLite file, in
 * PostgreSQL's dialect). A batch's rows go to the `writer` connection inside
 * one transaction; its COMMIT is the asynchronous step of mvcc/backend.ts, so
 * the event loop is free while PostgreSQL makes it durable. Reads are
 * synchronous through postgres-bridge.ts: inside a batch on the writer (they
 * must see the batch's own rows), otherwise on the reader, at the committed
 * state.
 */
export class PostgresDriver implements BackendDriver {
  readonly location: string;
  readonly localFiles: readonly string[] = [];
  readonly #db: PostgresBridge;
  #inTxn = false;

  constructor(endpoint: PostgresEndpoint) {
    this.location = endpoint.display;
    this.#db = new PostgresBridge(endpoint.config);
    try {
      this.#migrate();
    } catch (err) {
      void this.#db.close();
      throw err;
    }
  }

  /** Forward-only, like SQLite's user_version: the applied count is kept in meta. */
  #migrate(): void {
    let exists: unknown;
    try {
      // The first query waits for both connections: a wrong host or password shows here.
      exists = this.#db.query('reader', "SELECT to_regclass('meta') IS NOT NULL AS present").rows[0]!.present;
    } catch (err) {
      if (!(err instanceof PostgresQueryError)) throw err;
      throw new StoreError(
        'CNPAAS_STORE_BACKEND_CONNECT',
        `${this.location}: cannot connect: ${err.message}`,
        'check that PostgreSQL runs and that the endpoint names the right host, port, database, user and password',
      );
    }
    let version = exists ? Number(this.#getMeta('schema_version') ?? 0) : 0;
    const migrations = postgresDialect.migrations;
    if (version > migrations.length) {
      throw new StoreError(
        'CNPAAS_STORE_SCHEMA',
        `${this.location} has schema version ${version}, newer than this store understands (${migrations.length})`,
        'run a cnpaas-store at least as new as the one that last wrote this database',
      );
    }
    for (; version < migrations.length; version++) {
      this.#db.query('writer', 'BEGIN');
      try {
        this.#db.query('writer', migrations[version]!);
        this.#run('writer', SQL.setMeta, { name: 'schema_version', value: String(version + 1) });
        this.#db.query('writer', 'COMMIT');
      } catch (err) {
        this.#db.query('writer', 'ROLLBACK');
        throw err;
      }
    }
  }

  get inTransaction(): boolean {
    return this.#inTxn;
  }

  /** Reads inside a batch see its rows; all others the committed state. */
  get #conn(): 'writer' | 'reader' {
    return this.#inTxn ? 'writer' : 'reader';
  }

  #run(conn: 'writer' | 'reader', stmt: Compiled, values: Record<string, unknown>) {
    return this.#db.query(conn, stmt.text, bind(stmt, postgresDialect, values) as unknown[]);
  }

  #getMeta(name: string): string | undefined {
    const row = this.#run(this.#conn, SQL.getMeta, { name }).rows[0];
    return row?.value as string | undefined;
  }

  lastRevision(): number {
    return Number(this.#getMeta('last_revision') ?? 0);
  }

  get(key: Buffer): KeyValue | undefined {
    const row = this.#run(this.#conn, SQL.get, { key }).rows[0];
    return row && toKv(row);
  }

  range(range: KeyRange, revision: number | null, limit: number, keysOnly = false): KeyValue[] {
    if (range.end === null && revision === null) {
      const kv = this.get(range.start);
      if (!kv) return [];
      return [keysOnly ? { ...kv, value: EMPTY_VALUE } : kv];
    }
    const stmt = SQL.range(boundOf(range), revision !== null, keysOnly);
    const values = { ...params(range, revision), limit: limit < 0 ? postgresDialect.unlimited : limit };
    return this.#run(this.#conn, stmt, values).rows.map(toKv);
  }

  count(range: KeyRange, revision: number | null): number {
    const row = this.#run(this.#conn, SQL.count(boundOf(range), revision !== null), params(range, revision)).rows[0]!;
    return Number(Object.values(row)[0]);
  }

  changes(range: KeyRange, from: number, to: number): ChangeRow[] {
    const rows = this.#run(this.#conn, SQL.changes(boundOf(range)), { ...params(range, null), from, to }).rows;
    return rows.map((r) => ({ kv: toKv(r), sub: Number(r.sub), deleted: Number(r.deleted) === 1 }));
  }

  prevOf(key: Buffer, revision: number): KeyValue | undefined {
    const row = this.#run(this.#conn, SQL.prevOf, { key, rev: revision }).rows[0];
    return row && toKv(row);
  }

  keysWithLease(lease: bigint): Buffer[] {
    return this.#run(this.#conn, SQL.keysByLease, { lease }).rows.map((r) => r.key as Buffer);
  }

  keyCount(): number {
    return Number(Object.values(this.#run(this.#conn, SQL.keyCount, {}).rows[0]!)[0]);
  }

  begin(): void {
    if (this.#inTxn) return;
    this.#db.query('writer', 'BEGIN');
    this.#inTxn = true;
  }

  put(kv: KeyValue, sub: number, prev: KeyValue | undefined): void {
    if (prev) this.#run('writer', SQL.archive, { superseded: kv.modRevision, key: kv.key });
    this.#run('writer', SQL.upsert, {
      key: kv.key,
      create_revision: kv.createRevision,
      mod_revision: kv.modRevision,
      sub,
      version: kv.version,
      lease: kv.lease,
      value: kv.value,
    });
  }

  delete(key: Buffer, revision: number, sub: number): void {
    this.#run('writer', SQL.archive, { superseded: revision, key });
    this.#run('writer', SQL.tombstone, { key, rev: revision, sub });
    this.#run('writer', SQL.deleteKv, { key });
  }

  savepoint(): void {
    this.#db.query('writer', 'SAVEPOINT request');
  }

  releaseSavepoint(): void {
    this.#db.query('writer', 'RELEASE SAVEPOINT request');
  }

  rollbackToSavepoint(): void {
    this.#db.query('writer', 'ROLLBACK TO SAVEPOINT request');
    this.#db.query('writer', 'RELEASE SAVEPOINT request');
  }

  /** Records the revision in the batch, then COMMITs without blocking: the store awaits it. */
  commit(lastRevision: number): Promise<void> | undefined {
    if (!this.#inTxn) return undefined;
    this.#run('writer', SQL.setMeta, { name: 'last_revision', value: String(lastRevision) });
    this.#inTxn = false;
    return this.#db.queryAsync('writer', 'COMMIT').then(() => undefined);
  }

  rollback(): void {
    if (!this.#inTxn) return;
    this.#inTxn = false;
    this.#db.query('writer', 'ROLLBACK');
  }

  /** On the reader: it must not wait for, or join, a batch's transaction. */
  async compact(revision: number, batch: number): Promise<number> {
    const r = await this.#db.queryAsync(
      'reader',
      SQL.compact.text,
      bind(SQL.compact, postgresDialect, { rev: revision, batch }) as unknown[],
    );
    return r.rowCount;
  }

  size(): { total: number; inUse: number } {
    const row = this.#db.query(
      'reader',
      "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS total FROM pg_class c WHERE c.relname IN ('kv', 'history', 'meta') AND c.relnamespace = current_schema()::regnamespace",
    ).rows[0]!;
    const total = Number(row.total);
    return { total, inUse: total };
  }

  defragment(): void {
    this.#db.query('reader', 'VACUUM kv, history');
  }

  settings(): Record<string, unknown> {
    const row = this.#db.query('reader', 'SHOW synchronous_commit').rows[0]!;
    return { synchronousCommit: row.synchronous_commit };
  }

  async close(): Promise<void> {
    if (this.#inTxn) this.rollback();
    await this.#db.close();
  }
}

function params(range: KeyRange, revision: number | null): Record<string, unknown> {
  const values: Record<string, unknown> = { start: range.start };
  if (range.end !== null && range.end.length > 0) values.end = range.end;
  if (revision !== null) values.rev = revision;
  return values;
}
