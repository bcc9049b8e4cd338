import { BackendUnavailableError, StoreError } from '../errors.js';
import type { KeyRange } from '../keys.js';
import type { BackendDriver, ChangeRow } from '../mvcc/backend.js';
import type { KeyValue } from '../types.js';
import { BackendQueryError, type QueryResult, SqlBridge } from './sql-bridge.js';
import { type Compiled, type Dialect, bind } from './sql/dialect.js';
import { BackendStatements, boundOf, upsertValues } from './sql/statements.js';

const EMPTY_VALUE = Buffer.alloc(0);

/** A revision row as a network database's client returns it (BIGINTs as decimal strings). */
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

export function toKv(r: Record<string, unknown>): KeyValue {
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

/** Node's codes for a server certificate that fails verification (chain or host name). */
const UNTRUSTED_CERTIFICATE =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|CERT_)/;

/** The store's tables and the columns each must have; anything else in their place is not ours. */
const TABLES: Readonly<Record<string, readonly string[]>> = {
  kv: ['id', 'key', 'create_revision', 'mod_revision', 'sub', 'version', 'lease', 'value'],
  history: [
    'id',
    'key',
    'create_revision',
    'mod_revision',
    'sub',
    'version',
    'lease',
    'value',
    'deleted',
    'superseded',
  ],
  meta: ['name', 'value'],
};

/** What one network database spells or does its own way, beyond the statements of its dialect. */
export interface ServerSpecifics {
  /** Its name in messages: "PostgreSQL". */
  readonly server: string;
  readonly dialect: Dialect;
  /** The worker module that holds its connections (sql-worker-host.ts). */
  readonly worker: URL;
  /** An SQL expression for the schema (PostgreSQL) or database (MySQL) the tables live in. */
  readonly currentSchema: string;
  /**
   * Whether DDL is part of a transaction (PostgreSQL): then a migration is
   * all or nothing, and a part of the store's tables can only be damage. In
   * MySQL each CREATE TABLE commits, and a part is a migration to finish.
   */
  readonly transactionalDdl: boolean;
  /** A migration script as the statements to send (MySQL runs one at a time). */
  statements(script: string): string[];
  /**
   * A statement that serializes migrations of stores starting together on
   * one database (replicas), taken inside each migration's transaction
   * (PostgreSQL: a transaction-scoped advisory lock). Without one, the
   * migrations must be safe to run twice (MySQL's `IF NOT EXISTS`).
   */
  readonly migrationLock?: string;
  /** A query for the bytes the store's tables take, as decimal text: `total` in use, `free` held but unused. */
  readonly sizeQuery: string;
  /** The statement that rebuilds the tables, giving freed pages back. */
  readonly defragment: string;
  /** What decides whether a COMMIT that was answered survives a crash of the server: a query, and its row as settings. */
  readonly durability: { query: string; settings: (row: Record<string, unknown>) => Record<string, unknown> };
}

/**
 * Reads `last_revision` holding its row until the transaction ends: the replicas' revision lock
 * (shared-meta.ts) on the main database, and the check before completing a revision in a routed one.
 */
export const LOCK_LAST_REVISION = "SELECT value FROM meta WHERE name = 'last_revision' FOR UPDATE";

/**
 * One backend in a network SQL database (the same tables as a SQLite file,
 * in the database's dialect). A batch's rows go to the `writer` connection
 * inside one transaction; its COMMIT is the asynchronous step of
 * mvcc/backend.ts, so the event loop is free while the server makes it
 * durable. Reads are synchronous through sql-bridge.ts: inside a batch on the
 * writer (they must see the batch's own rows), otherwise on the reader, at
 * the committed state. What only its server has (size, defragmentation,
 * durability settings) comes from its ServerSpecifics.
 */
export abstract class NetworkSqlDriver implements BackendDriver {
  readonly location: string;
  readonly localFiles: readonly string[] = [];
  protected readonly db: SqlBridge;
  protected readonly sql: BackendStatements;
  readonly #spec: ServerSpecifics;
  #inTxn = false;
  /** A statement each batch runs before its COMMIT (replicas: a NOTIFY that wakes the others when it commits). */
  commitNotice: string | undefined;

  constructor(spec: ServerSpecifics, display: string, config: unknown) {
    this.location = display;
    this.#spec = spec;
    this.sql = new BackendStatements(spec.dialect);
    this.db = new SqlBridge(spec.worker, config, spec.server);
    try {
      this.#migrate(this.#schemaVersion());
    } catch (err) {
      void this.db.close();
      throw err;
    }
    // From here on a lost connection is an outage, not a bad endpoint: the worker connects again by
    // itself, and a request that meets the outage gets a retryable UNAVAILABLE naming the backend.
    this.db.unavailable = (err) => unavailable(this.location, spec.server, err.message);
  }

  /**
   * Whether the database answers now (the readiness check): undefined when it
   * does, otherwise why not. It never blocks the event loop.
   */
  async unreachable(): Promise<string | undefined> {
    try {
      await this.db.queryAsync('reader', 'SELECT 1');
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /**
   * How many migrations the database has, after checking that it is empty or
   * holds this store's tables: a database that holds something else (another
   * program's tables, or tables of our names with other columns) or lost one
   * of our tables is refused rather than written into.
   */
  #schemaVersion(): number {
    let found: Array<Record<string, unknown>>;
    try {
      // The first query waits for both connections: a wrong host or password shows here.
      found = this.db.query(
        'reader',
        `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = ${this.#spec.currentSchema}`,
      ).rows;
    } catch (err) {
      if (!(err instanceof BackendQueryError)) throw err;
      const unresolved = err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN';
      // mysql2 reports a failed verification under its own code (HANDSHAKE_SSL_ERROR) with Node's message.
      const untrusted =
        (err.code !== undefined && UNTRUSTED_CERTIFICATE.test(err.code)) ||
        /certificate (chain|has expired)|unable to verify|altnames/i.test(err.message);
      const what = unresolved
        ? 'the host name does not resolve: '
        : untrusted
          ? "the server's TLS certificate is not trusted: "
          : '';
      throw new StoreError(
        'CNPAAS_STORE_BACKEND_CONNECT',
        `${this.location}: cannot connect: ${what}${err.message}`,
        unresolved
          ? "correct the host in the endpoint, or make the name resolvable from the store's machine (DNS, /etc/hosts)"
          : untrusted
            ? "set backendTLS.caFile to the CA that issued the server's certificate, and connect by a name the certificate carries (or set backendTLS.serverName)"
            : `check that ${this.#spec.server} runs and that the endpoint names the right host, port, database, user and password`,
      );
    }
    const columns = new Map<string, Set<string>>();
    for (const r of found) {
      const t = String(r.t);
      if (!columns.has(t)) columns.set(t, new Set());
      columns.get(t)!.add(String(r.c));
    }
    const ours = Object.keys(TABLES).filter((t) => columns.has(t));
    if (ours.length === 0) {
      if (columns.size === 0) return 0;
      const others = [...columns.keys()].sort();
      throw new StoreError(
        'CNPAAS_STORE_FOREIGN_SCHEMA',
        `${this.location} holds tables that are not the store's (${list(others)}) and none of its own`,
        'point the endpoint at an empty database or one this store created; the store does not share a database with other programs',
      );
    }
    for (const t of ours) {
      const missing = TABLES[t]!.filter((c) => !columns.get(t)!.has(c));
      if (missing.length > 0) {
        throw new StoreError(
          'CNPAAS_STORE_FOREIGN_SCHEMA',
          `${this.location}: table ${t} is not the store's: it lacks the column(s) ${list(missing)}`,
          'point the endpoint at an empty database or one this store created; the store does not share a database with other programs',
        );
      }
    }
    const version = columns.has('meta') ? Number(this.#getMeta('schema_version') ?? 0) : 0;
    const absent = Object.keys(TABLES).filter((t) => !columns.has(t));
    const hint =
      'the database was changed outside the store: restore it from a backup, or point the endpoint at an empty database and copy the data in again';
    if (version > 0 && absent.length > 0) {
      throw new StoreError(
        'CNPAAS_STORE_MISSING_TABLE',
        `${this.location} has the store's schema version ${version} but no table ${list(absent)}`,
        hint,
      );
    }
    // Some of the store's tables and no version: a first migration cut short,
    // which only a server whose DDL commits by itself can leave behind.
    if (version === 0 && absent.length > 0 && this.#spec.transactionalDdl) {
      throw new StoreError(
        'CNPAAS_STORE_MISSING_TABLE',
        `${this.location} has the store's table(s) ${list(ours)} but no table ${list(absent)}`,
        hint,
      );
    }
    return version;
  }

  /** Forward-only, like SQLite's user_version: the applied count is kept in meta. */
  #migrate(from: number): void {
    const migrations = this.#spec.dialect.migrations;
    if (from > migrations.length) {
      throw new StoreError(
        'CNPAAS_STORE_SCHEMA',
        `${this.location} has schema version ${from}, newer than this store understands (${migrations.length})`,
        'run a cnpaas-store at least as new as the one that last wrote this database',
      );
    }
    for (let version = from; version < migrations.length; version++) {
      this.db.query('writer', 'BEGIN');
      try {
        if (this.#spec.migrationLock) {
          this.db.query('writer', this.#spec.migrationLock);
          // Another store may have applied it while this one waited for the lock.
          if (this.#appliedUnderLock() > version) {
            this.db.query('writer', 'COMMIT');
            continue;
          }
        }
        for (const s of this.#spec.statements(migrations[version]!)) this.db.query('writer', s);
        this.#run('writer', this.sql.setMeta, { name: 'schema_version', value: String(version + 1) });
        this.db.query('writer', 'COMMIT');
      } catch (err) {
        this.db.query('writer', 'ROLLBACK');
        throw err;
      }
    }
  }

  /** The SQL dialect of its database (for the replicas' shared meta beside its tables). */
  get dialect(): Dialect {
    return this.#spec.dialect;
  }

  /** The schema version as committed now, read inside the migration's transaction. */
  #appliedUnderLock(): number {
    const meta = this.db.query(
      'writer',
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ${this.#spec.currentSchema} AND table_name = 'meta'`,
    ).rows[0]!;
    if (Number(meta.n) === 0) return 0;
    return Number(this.#run('writer', this.sql.getMeta, { name: 'schema_version' }).rows[0]?.value ?? 0);
  }

  get inTransaction(): boolean {
    return this.#inTxn;
  }

  /** Reads inside a batch see its rows; all others the committed state. */
  get #conn(): 'writer' | 'reader' {
    return this.#inTxn ? 'writer' : 'reader';
  }

  #run(conn: 'writer' | 'reader', stmt: Compiled, values: Record<string, unknown>) {
    return this.db.query(conn, stmt.text, bind(stmt, this.#spec.dialect, values) as unknown[]);
  }

  #getMeta(name: string): string | undefined {
    const row = this.#run(this.#conn, this.sql.getMeta, { name }).rows[0];
    return row?.value as string | undefined;
  }

  lastRevision(): number {
    return Number(this.#getMeta('last_revision') ?? 0);
  }

  get(key: Buffer): KeyValue | undefined {
    const row = this.#run(this.#conn, this.sql.get, { key }).rows[0];
    return row && toKv(row);
  }

  range(range: KeyRange, revision: number | null, limit: number, keysOnly = false): KeyValue[] {
    if (range.end === null && revision === null) {
      const kv = this.get(range.start);
      if (!kv) return [];
      return [keysOnly ? { ...kv, value: EMPTY_VALUE } : kv];
    }
    const stmt = this.sql.range(boundOf(range), revision !== null, keysOnly);
    const values = { ...params(range, revision), limit: limit < 0 ? this.#spec.dialect.unlimited : limit };
    return this.#run(this.#conn, stmt, values).rows.map(toKv);
  }

  count(range: KeyRange, revision: number | null): number {
    const stmt = this.sql.count(boundOf(range), revision !== null);
    return Number(Object.values(this.#run(this.#conn, stmt, params(range, revision)).rows[0]!)[0]);
  }

  changes(range: KeyRange, from: number, to: number): ChangeRow[] {
    const rows = this.#run(this.#conn, this.sql.changes(boundOf(range)), { ...params(range, null), from, to }).rows;
    return rows.map((r) => ({ kv: toKv(r), sub: Number(r.sub), deleted: Number(r.deleted) === 1 }));
  }

  prevOf(key: Buffer, revision: number): KeyValue | undefined {
    const row = this.#run(this.#conn, this.sql.prevOf, { key, rev: revision }).rows[0];
    return row && toKv(row);
  }

  keysWithLease(lease: bigint): Buffer[] {
    return this.#run(this.#conn, this.sql.keysByLease, { lease }).rows.map((r) => r.key as Buffer);
  }

  keyCount(): number {
    return Number(Object.values(this.#run(this.#conn, this.sql.keyCount, {}).rows[0]!)[0]);
  }

  begin(): void {
    if (this.#inTxn) return;
    this.db.query('writer', 'BEGIN');
    this.#inTxn = true;
  }

  put(kv: KeyValue, sub: number, prev: KeyValue | undefined): void {
    if (prev) this.#run('writer', this.sql.archive, { superseded: kv.modRevision, key: kv.key });
    this.#run('writer', this.sql.upsert, upsertValues(kv, sub));
  }

  delete(key: Buffer, revision: number, sub: number): void {
    this.#run('writer', this.sql.archive, { superseded: revision, key });
    this.#run('writer', this.sql.tombstone, { key, rev: revision, sub });
    this.#run('writer', this.sql.deleteKv, { key });
  }

  savepoint(): void {
    this.db.query('writer', 'SAVEPOINT request');
  }

  releaseSavepoint(): void {
    this.db.query('writer', 'RELEASE SAVEPOINT request');
  }

  rollbackToSavepoint(): void {
    this.db.query('writer', 'ROLLBACK TO SAVEPOINT request');
    this.db.query('writer', 'RELEASE SAVEPOINT request');
  }

  /** Records the revision in the batch, then COMMITs without blocking: the store awaits it. */
  commit(lastRevision: number): Promise<void> | undefined {
    if (!this.#inTxn) return undefined;
    this.#run('writer', this.sql.setMeta, { name: 'last_revision', value: String(lastRevision) });
    this.#inTxn = false;
    // A connection lost while the COMMIT is in flight leaves its outcome unknown (it may have
    // committed before the answer was lost), as etcd's "request timed out" does; the store
    // finds out from the tables once the server is back (store.ts #fail).
    const outcome = (err: unknown): never => {
      if (err instanceof BackendUnavailableError) {
        throw new BackendUnavailableError(`${err.message}; the write may or may not have been applied`);
      }
      throw err;
    };
    if (!this.commitNotice) return this.db.queryAsync('writer', 'COMMIT').then(() => undefined, outcome);
    // Sent ahead of the COMMIT without waiting (the connection runs them in order). If the
    // notice failed, PostgreSQL turns the COMMIT into a rollback without an error, so the
    // batch fails on the notice's error.
    const notice = this.db.queryAsync('writer', this.commitNotice);
    const committed = this.db.queryAsync('writer', 'COMMIT');
    return Promise.all([notice, committed]).then(() => undefined, outcome);
  }

  /**
   * Never throws: the store rolls back every backend after a failed batch, and
   * one whose connection is gone has nothing left to roll back (the server
   * ended the transaction with the connection).
   */
  rollback(): void {
    if (!this.#inTxn) return;
    this.#inTxn = false;
    try {
      this.db.query('writer', 'ROLLBACK');
    } catch {
      // The connection is gone, and the transaction with it; the next BEGIN opens a new one.
    }
  }

  // --- for the store meta that shares this database (shared-meta.ts) ---

  /** A statement inside the open batch if there is one, otherwise on the reader (autocommit). */
  statement(text: string, params: unknown[] = []): QueryResult {
    return this.db.query(this.#conn, text, params);
  }

  /** A statement that belongs to the batch: opens it on first use, like a row write. */
  batchStatement(text: string, params: unknown[] = []): QueryResult {
    this.begin();
    return this.db.query('writer', text, params);
  }

  /**
   * A statement on the reader, outside the batch, committed on its own
   * (autocommit) while the batch stays open: the replicas' revision log is
   * committed this way before any database commits the batch.
   */
  outsideBatch(text: string, params: unknown[] = []): QueryResult {
    return this.db.query('reader', text, params);
  }

  /**
   * Opens the batch and reads `last_revision` holding its row: a COMMIT of
   * this database still in flight from another process (one that died
   * right after sending it) is waited for, not read around. What completing
   * a dead replica's logged revision checks before applying it here.
   */
  lockedLastRevision(): number {
    this.begin();
    const row = this.db.query('writer', LOCK_LAST_REVISION).rows[0];
    return Number(row?.value ?? 0);
  }

  /** A statement on the reader that does not block the event loop. */
  readAsync(text: string, params: unknown[] = []): Promise<QueryResult> {
    return this.db.queryAsync('reader', text, params);
  }

  /** Session settings of the writer, kept on every connection it opens after a server restart. */
  sessionSettings(statements: readonly string[]): void {
    if (this.#inTxn) throw new Error('session settings inside a batch');
    for (const s of statements) this.db.session('writer', s);
  }

  /** Statements on the writer in one transaction of their own (set-up). */
  setup(statements: readonly string[]): void {
    if (this.#inTxn) throw new Error('setup inside a batch');
    this.db.query('writer', 'BEGIN');
    try {
      for (const s of statements) this.db.query('writer', s);
      this.db.query('writer', 'COMMIT');
    } catch (err) {
      this.db.query('writer', 'ROLLBACK');
      throw err;
    }
  }

  /**
   * Opens the batch's transaction and runs `lock` in it, without blocking
   * the event loop while the lock is waited for: reads keep answering from
   * the reader meanwhile, since the batch counts as open only once it holds
   * the lock. `then` are statements sent right behind it without waiting
   * (the connection runs them in order, so each reads what was committed
   * once the lock was held): no extra round trip. Resolves with the lock's
   * result followed by theirs.
   */
  async beginLocked(lock: string, then: readonly string[] = []): Promise<QueryResult[]> {
    if (this.#inTxn) throw new Error('beginLocked inside a batch');
    await this.db.queryAsync('writer', 'BEGIN');
    try {
      const results = await Promise.all([lock, ...then].map((q) => this.db.queryAsync('writer', q)));
      this.#inTxn = true;
      return results;
    } catch (err) {
      await this.db.queryAsync('writer', 'ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** On the reader: it must not wait for, or join, a batch's transaction. */
  async compact(revision: number, batch: number): Promise<number> {
    const stmt = this.sql.compact;
    const r = await this.db.queryAsync(
      'reader',
      stmt.text,
      bind(stmt, this.#spec.dialect, { rev: revision, batch }) as unknown[],
    );
    return r.rowCount;
  }

  size(): { total: number; inUse: number } {
    const row = this.db.query('reader', this.#spec.sizeQuery).rows[0]!;
    const total = Number(row.total);
    return { total: total + Number(row.free), inUse: total };
  }

  defragment(): void {
    this.db.query('reader', this.#spec.defragment);
  }

  settings(): Record<string, unknown> {
    const { query, settings } = this.#spec.durability;
    return settings(this.db.query('reader', query).rows[0]!);
  }

  async close(): Promise<void> {
    if (this.#inTxn) this.rollback();
    await this.db.close();
  }
}

/** What a request that meets an outage of the backend's server gets: retryable, naming the backend, no password. */
function unavailable(location: string, server: string, reason: string): BackendUnavailableError {
  return new BackendUnavailableError(
    `etcdserver: backend ${location} is unavailable (${server}: ${reason}); retry once it is back`,
  );
}

function params(range: KeyRange, revision: number | null): Record<string, unknown> {
  const values: Record<string, unknown> = { start: range.start };
  if (range.end !== null && range.end.length > 0) values.end = range.end;
  if (revision !== null) values.rev = revision;
  return values;
}

function list(names: readonly string[]): string {
  return names.length > 8 ? `${names.slice(0, 8).join(', ')}, …` : names.join(', ');
}
