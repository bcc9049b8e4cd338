import { BackendUnavailableError, StoreError } from '../errors.js';
import { type KeyRange, mergeByKey } from '../keys.js';
import {
  type BackendDriver,
  type ChangeRow,
  GuardRefused,
  type GuardConditions,
  type KeyAtRevision,
  LockRequired,
} from '../mvcc/backend.js';
import type { KeyValue } from '../types.js';
import { CurrentRows, type KnownRow } from './current-rows.js';
import type { ParsedEndpoint } from './network-endpoint.js';
import type { Connector } from './reconnecting-connection.js';
import { BackendQueryError, type QueryResult, type ScriptStatement, SqlBridge } from './sql-bridge.js';
import { type Compiled, type Dialect, bind, rowValues } from './sql/dialect.js';
import { BackendStatements, boundOf, historyValues, upsertValues } from './sql/statements.js';

const EMPTY_VALUE = Buffer.alloc(0);

/** Rows per multi-row statement, and the bytes of values one may carry (MySQL's max_allowed_packet is 16 MiB or more). */
const ROWS_PER_STATEMENT = 256;
const BYTES_PER_STATEMENT = 4 * 1024 * 1024;

/** A row write of the open batch, held until the batch is sent (`#script`). */
type BufferedWrite =
  /** The key's current version moves to history; known here, so written from memory. */
  | { kind: 'archive'; row: KnownRow; superseded: number }
  /** The same, for a version this batch has not read: the database copies it from kv. */
  | { kind: 'archiveCopy'; key: Buffer; superseded: number }
  | { kind: 'tombstone'; key: Buffer; revision: number; sub: number }
  | { kind: 'put'; row: KnownRow }
  | { kind: 'remove'; key: Buffer };

/** A point read waiting to be sent with the others of its turn (`NetworkSqlDriver.#pointAsync`). */
interface PointRead {
  key: Buffer;
  resolve(kvs: KeyValue[]): void;
  reject(err: unknown): void;
}

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
  /**
   * How to open a connection on the main thread, for the asynchronous
   * requests that stand alone (sql-bridge.ts); without one, all go to the
   * worker.
   */
  readonly connector?: (config: unknown) => Connector<unknown>;
  /** An SQL expression for the schema (PostgreSQL) or database (MySQL) the tables live in. */
  readonly currentSchema: string;
  /**
   * A database without information_schema (SQLite): a query for its tables'
   * columns (`t`, `c`), and one for the migrations applied (one row, one
   * column), which its worker applies itself when it opens the database.
   */
  readonly catalog?: { columns: string; version: string };
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
 * in the database's dialect). What only its server has (size,
 * defragmentation, durability settings) comes from its ServerSpecifics.
 *
 * A batch costs few round trips, whatever its size:
 * - Before it is applied, the store hands over the keys its requests will
 *   read one by one (`prefetch`): one query loads them all, without blocking
 *   the event loop. The batch's point reads are then answered from memory,
 *   as are reads of keys it wrote itself.
 * - Its row writes are held here and sent with its COMMIT as one script:
 *   the superseded versions and tombstones as one multi-row INSERT into
 *   history (from memory), the keys' final rows as one multi-row upsert and
 *   one DELETE. The database gets the same rows as it would one statement
 *   per write, in one transaction. A script is one message to the server
 *   (the worker's Connector.many), not one round trip per statement.
 * - Under a revision lock (replicas), the lock and the batch's loads are
 *   one message too (`beginLocked`): two round trips a batch in all.
 * - Its COMMIT is the asynchronous step of mvcc/backend.ts: the event loop
 *   is free while the server makes it durable.
 *
 * Other reads are synchronous through sql-bridge.ts: inside a batch on the
 * writer, after sending what the batch holds (they must see its rows),
 * otherwise on the reader, at the committed state.
 */
export abstract class NetworkSqlDriver implements BackendDriver {
  readonly location: string;
  readonly localFiles: readonly string[] = [];
  protected readonly db: SqlBridge;
  protected readonly sql: BackendStatements;
  readonly #spec: ServerSpecifics;
  #inTxn = false;
  /** The batch's BEGIN is sent with its first statement (`#script`), not on its own. */
  #beginPending = false;
  /** Keys the batch knows the current row of (null: none), from `prefetch`, its reads and its writes. */
  #known = new Map<string, KnownRow | null>();
  /** Set by `prefetch` until the batch ends: `#known` answers reads from then on. */
  #prefetched = false;
  #writes: BufferedWrite[] = [];
  /** The batch sent something that may have changed the database: held rows (`#sendHeld`) or a statement of the meta's. */
  #sentChanges = false;
  /** Counts the batches that ended (`#forgetBatch`): a load answered after its batch ended is not learned. */
  #batch = 0;
  /** `#known` as it was at the savepoint, to go back to. */
  #atSavepoint: Map<string, KnownRow | null> | undefined;
  /** Point reads of this turn of the event loop, by revision, until `#sendPoints` sends them. */
  #points: Map<number, PointRead[]> | undefined;
  /** A statement each batch runs before its COMMIT (replicas: a NOTIFY that wakes the others when it commits). */
  commitNotice: string | undefined;
  /** The rows of recent batches, for optimistic ones; kept only once this driver was asked to `speculate`. */
  #current: CurrentRows | undefined;
  /**
   * While an optimistic batch is applied and until it is sent: the mod_revision it took each key it read to be
   * current at (0: no row). Its guard has the database check each.
   */
  #assumed: Map<string, { key: Buffer; modRevision: number }> | undefined;
  /** Keys the optimistic batch takes to exist: one of them not among the rows of recent batches needs the lock. */
  #presumed = new Set<string>();

  constructor(spec: ServerSpecifics, endpoint: ParsedEndpoint<unknown>) {
    this.location = endpoint.display;
    this.#spec = spec;
    this.sql = new BackendStatements(spec.dialect);
    this.db = new SqlBridge(spec.worker, {
      config: endpoint.config,
      server: spec.server,
      readPool: endpoint.readPool ?? 0,
      ...(spec.connector ? { connector: spec.connector } : {}),
    });
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
        this.#spec.catalog?.columns ??
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
    const catalog = this.#spec.catalog;
    const version = catalog
      ? Number(Object.values(this.db.query('reader', catalog.version).rows[0]!)[0])
      : columns.has('meta')
        ? Number(this.#getMeta('schema_version') ?? 0)
        : 0;
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

  /** A read of more than a known key: inside a batch it must see the batch's rows, so they are sent first. */
  #read(stmt: Compiled, values: Record<string, unknown>) {
    if (this.#inTxn) this.#sendHeld();
    return this.#run(this.#conn, stmt, values);
  }

  #getMeta(name: string): string | undefined {
    const row = this.#read(this.sql.getMeta, { name }).rows[0];
    return row?.value as string | undefined;
  }

  lastRevision(): number {
    return Number(this.#getMeta('last_revision') ?? 0);
  }

  get(key: Buffer): KeyValue | undefined {
    const tracked = this.#inTxn || this.#prefetched;
    const k = key.toString('latin1');
    if (tracked) {
      const known = this.#known.get(k);
      if (known !== undefined) return known?.kv;
    }
    if (this.#assumed) return this.#assume(key, k);
    // A key the batch has not written: what the database holds is its row, flushed rows or not.
    const row = this.#run(this.#conn, this.sql.getMany(1), { k0: key }).rows[0];
    const known = row ? { kv: toKv(row), sub: Number(row.sub) } : null;
    if (tracked) this.#known.set(k, known);
    return known?.kv;
  }

  /**
   * Loads the current rows of `keys` for the batch about to be applied, in
   * one query per few hundred keys, without blocking the event loop: its
   * point reads then wait for nothing. Inside a transaction already open
   * (a replica's batch holds the revision lock) on the writer, after the
   * lock; otherwise on the reader, which sees every committed batch.
   */
  async prefetch(keys: readonly Buffer[]): Promise<void> {
    this.#prefetched = true;
    const ahead = this.#readAhead(keys);
    if (ahead.statements.length === 0) return;
    const conn = this.#conn;
    const batch = this.#batch;
    const results = await Promise.all(ahead.statements.map((s) => this.db.queryAsync(conn, s.text, s.params)));
    // The batch may have failed meanwhile (another backend's load did) and forgotten what it knew. These rows
    // were read before whatever committed since: learned now, the next batch would take them for current ones.
    if (batch === this.#batch) this.#learn(ahead.wanted, results);
  }

  /** The statements that load the rows of `keys` the batch does not know yet: one per few hundred keys. */
  #readAhead(keys: readonly Buffer[]): { wanted: Map<string, Buffer>; statements: ScriptStatement[] } {
    const wanted = new Map<string, Buffer>();
    for (const key of keys) {
      const k = key.toString('latin1');
      if (!this.#known.has(k)) wanted.set(k, key);
    }
    const all = [...wanted.values()];
    const statements: ScriptStatement[] = [];
    for (let at = 0; at < all.length; at += ROWS_PER_STATEMENT) {
      const { n, values } = keyParams(all.slice(at, at + ROWS_PER_STATEMENT));
      statements.push(this.#statement(this.sql.getMany(n), values));
    }
    return { wanted, statements };
  }

  /** Records what the read-ahead statements found: the wanted keys they did not return have no row. */
  #learn(wanted: ReadonlyMap<string, Buffer>, results: readonly QueryResult[]): void {
    // Writes of the batch may not have started yet, so nothing here is newer than the database.
    for (const k of wanted.keys()) if (!this.#known.has(k)) this.#known.set(k, null);
    for (const r of results) {
      for (const row of r.rows)
        this.#known.set((row.key as Buffer).toString('latin1'), { kv: toKv(row), sub: Number(row.sub) });
    }
  }

  /** The batch was applied: what it loaded and did not write is forgotten (what it wrote, at its COMMIT). */
  endBatch(): void {
    if (!this.#inTxn) this.#forgetBatch();
  }

  #forgetBatch(): void {
    this.#batch++;
    this.#known.clear();
    this.#prefetched = false;
    this.#writes = [];
    this.#sentChanges = false;
    this.#beginPending = false;
    this.#atSavepoint = undefined;
  }

  range(range: KeyRange, revision: number | null, limit: number, keysOnly = false): KeyValue[] {
    if (range.end === null && revision === null) {
      const kv = this.get(range.start);
      if (!kv) return [];
      return [keysOnly ? { ...kv, value: EMPTY_VALUE } : kv];
    }
    if (this.#inTxn) this.#sendHeld();
    const conn = this.#conn;
    const queries = this.#rangeQueries(range, revision, limit, keysOnly);
    // Inside a batch the halves need no snapshot of their own: the batch's lock (replicas), or this store being
    // the database's one writer, keeps every other commit out of the transaction until it ends.
    const parts =
      queries.length > 1 && !this.#inTxn
        ? this.#halves(this.db.revisionScript('reader', this.#inSnapshot(queries)))
        : queries.map((q) => this.db.revisions(conn, q.text, q.params));
    return mergeByKey(parts, limit);
  }

  /** The halves of a range at a revision in one read-only transaction (Dialect.rangeInParts). */
  #inSnapshot(halves: ScriptStatement[]): ScriptStatement[] {
    const open = this.#spec.dialect.rangeInParts!.snapshot.map((text) => ({ text, params: [] }));
    return [...open, ...halves, { text: 'COMMIT', params: [] }];
  }

  /** The halves' rows out of the answer to `#inSnapshot`'s script. */
  #halves(results: KeyValue[][]): KeyValue[][] {
    const from = this.#spec.dialect.rangeInParts!.snapshot.length;
    return results.slice(from, -1);
  }

  /**
   * The statements of a range: one, or a range at a revision in its two
   * halves where the dialect reads it so (Dialect.rangeInParts), to be
   * merged in key order.
   */
  #rangeQueries(range: KeyRange, revision: number | null, limit: number, keysOnly: boolean): ScriptStatement[] {
    if (range.end === null && revision !== null && !keysOnly && limit !== 0) {
      return [this.#statement(this.sql.pointAt, params(range, revision))];
    }
    const values = { ...params(range, revision), limit: limit < 0 ? this.#spec.dialect.unlimited : limit };
    const bound = boundOf(range);
    if (revision === null || !this.#spec.dialect.rangeInParts) {
      return [this.#statement(this.sql.range(bound, revision !== null, keysOnly), values)];
    }
    return (['kv', 'history'] as const).map((table) =>
      this.#statement(this.sql.rangeAt(bound, table, keysOnly), values),
    );
  }

  /** On the reader: it never waits for, or sees, a batch's transaction. */
  async rangeAsync(range: KeyRange, revision: number | null, limit: number, keysOnly = false): Promise<KeyValue[]> {
    if (range.end === null && revision !== null && !keysOnly && limit !== 0)
      return this.#pointAsync(range.start, revision);
    const queries = this.#rangeQueries(range, revision, limit, keysOnly);
    const parts =
      queries.length > 1
        ? this.#halves(await this.db.revisionScriptAsync('reader', this.#inSnapshot(queries)))
        : [await this.db.revisionsAsync('reader', queries[0]!.text, queries[0]!.params)];
    return mergeByKey(parts, limit);
  }

  /**
   * A point read at `revision`, sent with the others that arrive in the same
   * turn of the event loop as one statement per revision (a few hundred keys
   * at most): under concurrent Gets one round trip answers many of them,
   * where each would otherwise wait its turn on one of the read pool's
   * connections.
   */
  #pointAsync(key: Buffer, revision: number): Promise<KeyValue[]> {
    return new Promise((resolve, reject) => {
      if (!this.#points) {
        this.#points = new Map();
        setImmediate(() => this.#sendPoints());
      }
      let waiting = this.#points.get(revision);
      if (!waiting) this.#points.set(revision, (waiting = []));
      waiting.push({ key, resolve, reject });
    });
  }

  #sendPoints(): void {
    const points = this.#points!;
    this.#points = undefined;
    for (const [revision, waiting] of points) {
      for (let at = 0; at < waiting.length; at += ROWS_PER_STATEMENT)
        this.#sendPointChunk(revision, waiting.slice(at, at + ROWS_PER_STATEMENT));
    }
  }

  /** One statement for `chunk`; every read of it is answered, with its row or with the statement's error. */
  #sendPointChunk(revision: number, chunk: readonly PointRead[]): void {
    const keys = [...new Map(chunk.map((w) => [w.key.toString('latin1'), w.key])).values()];
    // One key: the statement that stops at the first row found. More: one for all of them (keyParams).
    let stmt = this.sql.pointAt;
    let values: Record<string, unknown> = { rev: revision, start: keys[0] };
    if (keys.length > 1) {
      const many = keyParams(keys);
      stmt = this.sql.pointsAt(many.n);
      values = { rev: revision, ...many.values };
    }
    // Called from a timer: an error thrown before the query is sent must reach the readers too.
    new Promise<QueryResult>((resolve) => resolve(this.#runAsync(stmt, values))).then(
      (r) => {
        const found = new Map(r.rows.map((row) => [(row.key as Buffer).toString('latin1'), toKv(row)]));
        for (const w of chunk) {
          const kv = found.get(w.key.toString('latin1'));
          w.resolve(kv ? [kv] : []);
        }
      },
      (err: unknown) => {
        for (const w of chunk) w.reject(err);
      },
    );
  }

  async countAsync(range: KeyRange, revision: number | null): Promise<number> {
    const stmt = this.sql.count(boundOf(range), revision !== null);
    return Number(Object.values((await this.#runAsync(stmt, params(range, revision))).rows[0]!)[0]);
  }

  #runAsync(stmt: Compiled, values: Record<string, unknown>): Promise<QueryResult> {
    return this.db.queryAsync('reader', stmt.text, bind(stmt, this.#spec.dialect, values) as unknown[]);
  }

  count(range: KeyRange, revision: number | null): number {
    const stmt = this.sql.count(boundOf(range), revision !== null);
    return Number(Object.values(this.#read(stmt, params(range, revision)).rows[0]!)[0]);
  }

  changes(range: KeyRange, from: number, to: number): ChangeRow[] {
    const rows = this.#read(this.sql.changes(boundOf(range)), { ...params(range, null), from, to }).rows;
    return rows.map((r) => ({ kv: toKv(r), sub: Number(r.sub), deleted: Number(r.deleted) === 1 }));
  }

  /** One round trip per few hundred distinct keys, where a read per change would block the event loop once each. */
  prevsOf(changes: readonly KeyAtRevision[]): Array<KeyValue | undefined> {
    const keys = new Map<string, Buffer>();
    let from = Infinity;
    let to = -Infinity;
    for (const c of changes) {
      keys.set(c.key.toString('latin1'), c.key);
      from = Math.min(from, c.revision);
      to = Math.max(to, c.revision);
    }
    // Each version a change superseded, by key and that change's revision; the newest if several qualify, as prevOf.
    const found = new Map<string, KeyValue>();
    const all = [...keys.values()];
    for (let at = 0; at < all.length; at += ROWS_PER_STATEMENT) {
      const { n, values } = keyParams(all.slice(at, at + ROWS_PER_STATEMENT));
      for (const row of this.#read(this.sql.prevsOf(n), { ...values, from, to }).rows) {
        const kv = toKv(row);
        const id = `${kv.key.toString('latin1')}@${Number(row.superseded)}`;
        const seen = found.get(id);
        if (!seen || seen.modRevision < kv.modRevision) found.set(id, kv);
      }
    }
    return changes.map((c) => found.get(`${c.key.toString('latin1')}@${c.revision}`));
  }

  keysWithLease(lease: bigint): Buffer[] {
    return this.#read(this.sql.keysByLease, { lease }).rows.map((r) => r.key as Buffer);
  }

  keyCount(): number {
    return Number(Object.values(this.#read(this.sql.keyCount, {}).rows[0]!)[0]);
  }

  /** Opens the batch; its BEGIN goes to the database with the batch's first statement. */
  begin(): void {
    if (this.#inTxn) return;
    this.#inTxn = true;
    this.#beginPending = true;
  }

  put(kv: KeyValue, sub: number, prev: KeyValue | undefined): void {
    const k = kv.key.toString('latin1');
    if (prev) this.#archive(kv.key, k, kv.modRevision);
    const row = { kv, sub };
    this.#writes.push({ kind: 'put', row });
    this.#known.set(k, row);
  }

  delete(key: Buffer, revision: number, sub: number): void {
    const k = key.toString('latin1');
    this.#archive(key, k, revision);
    this.#writes.push({ kind: 'tombstone', key, revision, sub }, { kind: 'remove', key });
    this.#known.set(k, null);
  }

  /** The key's current version becomes history, superseded at `revision`. */
  #archive(key: Buffer, k: string, revision: number): void {
    const known = this.#known.get(k);
    if (known) this.#writes.push({ kind: 'archive', row: known, superseded: revision });
    // Not read by this batch, so not written by it either: the database's kv row is the version.
    else if (known === undefined) this.#writes.push({ kind: 'archiveCopy', key, superseded: revision });
  }

  /** Sends what the batch holds (and its BEGIN) now, and waits: a read or savepoint must come after it. */
  #sendHeld(): void {
    if (this.#writes.length > 0) this.#sentChanges = true;
    const script = this.#script();
    if (script.length > 0) this.db.script('writer', script);
  }

  /** Only the BEGIN: for a statement of the batch on tables its held rows do not touch. */
  #sendBegin(): void {
    if (!this.#beginPending) return;
    this.#beginPending = false;
    this.db.query('writer', 'BEGIN');
  }

  /**
   * The held writes as statements, in an order that gives the same tables
   * as running them one by one: the versions copied from kv first (before
   * any kv row of this script changes), then history's new rows, then each
   * key's final kv row (a key written twice is upserted once, as it ends).
   */
  #script(): ScriptStatement[] {
    const out: ScriptStatement[] = [];
    if (this.#beginPending) out.push({ text: 'BEGIN', params: [] });
    this.#beginPending = false;
    const history: Array<Record<string, unknown>> = [];
    const final = new Map<string, KnownRow | Buffer>();
    for (const w of this.#writes) {
      switch (w.kind) {
        case 'archiveCopy':
          out.push(this.#statement(this.sql.archive, { superseded: w.superseded, key: w.key }));
          break;
        case 'archive':
          history.push(historyValues(w.row.kv, w.row.sub, { deleted: false, superseded: w.superseded }));
          break;
        case 'tombstone':
          history.push(historyValues(deletedKv(w.key, w.revision), w.sub, { deleted: true, superseded: w.revision }));
          break;
        case 'put':
          final.set(w.row.kv.key.toString('latin1'), w.row);
          break;
        case 'remove':
          final.set(w.key.toString('latin1'), w.key);
          break;
      }
    }
    this.#writes = [];
    out.push(...this.#rows(history, (n) => this.sql.historyRows(n)));
    const removed: Array<Record<string, unknown>> = [];
    const upserted: Array<Record<string, unknown>> = [];
    for (const v of final.values()) {
      if (Buffer.isBuffer(v)) removed.push({ k: v });
      else upserted.push(upsertValues(v.kv, v.sub));
    }
    out.push(...this.#rows(removed, (n) => this.sql.deleteKvMany(n)));
    out.push(...this.#rows(upserted, (n) => this.sql.upsertRows(n)));
    return out;
  }

  /** Multi-row statements for `rows`, cut by row count and by the bytes of their values. */
  #rows(rows: Array<Record<string, unknown>>, statement: (n: number) => Compiled): ScriptStatement[] {
    const out: ScriptStatement[] = [];
    let at = 0;
    while (at < rows.length) {
      let end = at;
      let bytes = 0;
      while (end < rows.length && end - at < ROWS_PER_STATEMENT) {
        const value = rows[end]!.value;
        bytes += Buffer.isBuffer(value) ? value.length : 0;
        if (bytes > BYTES_PER_STATEMENT && end > at) break;
        end++;
      }
      const values: Record<string, unknown> = {};
      for (let i = at; i < end; i++) rowValues(rows[i]!, i - at, values);
      out.push(this.#statement(statement(end - at), values));
      at = end;
    }
    return out;
  }

  #statement(stmt: Compiled, values: Record<string, unknown>): ScriptStatement {
    return { text: stmt.text, params: bind(stmt, this.#spec.dialect, values) as unknown[] };
  }

  savepoint(): void {
    this.#sendHeld();
    this.db.query('writer', 'SAVEPOINT request');
    this.#atSavepoint = new Map(this.#known);
  }

  releaseSavepoint(): void {
    this.#sendHeld();
    this.db.query('writer', 'RELEASE SAVEPOINT request');
    this.#atSavepoint = undefined;
  }

  rollbackToSavepoint(): void {
    // Everything held was written after the savepoint (it sent what came before).
    this.#writes = [];
    this.db.query('writer', 'ROLLBACK TO SAVEPOINT request');
    this.db.query('writer', 'RELEASE SAVEPOINT request');
    if (this.#atSavepoint) this.#known = this.#atSavepoint;
    this.#atSavepoint = undefined;
  }

  /**
   * Sends the batch — its BEGIN if not yet sent, its held rows, the revision,
   * the replicas' notice, the COMMIT — as one script, without blocking: the
   * store awaits it. If a statement fails, the worker rolls the transaction
   * back before answering.
   */
  commit(lastRevision: number): Promise<void> | undefined {
    if (!this.#inTxn) return undefined;
    // Read under the lock, or written by the batch: current once it commits, whatever came before it.
    return this.#send({ script: this.#script(), lastRevision, carryOver: false });
  }

  /**
   * The batch's `script` with the revision, the replicas' notice and the
   * COMMIT after it, sent without blocking. What the batch knew of its keys
   * is current once it commits: the rows of recent batches become those
   * (`carryOver`: those kept so far are still current too).
   */
  #send(options: { script: ScriptStatement[]; lastRevision: number; carryOver: boolean }): Promise<void> {
    const { script, lastRevision, carryOver } = options;
    script.push(this.#statement(this.sql.setMeta, { name: 'last_revision', value: String(lastRevision) }));
    if (this.commitNotice) script.push({ text: this.commitNotice, params: [] });
    script.push({ text: 'COMMIT', params: [] });
    const known = this.#endBatch();
    const current = this.#current;
    // A connection lost while the COMMIT is in flight leaves its outcome unknown (it may have
    // committed before the answer was lost), as etcd's "request timed out" does; the store
    // finds out from the tables once the server is back (store.ts #fail).
    const outcome = (err: unknown): never => {
      current?.clear();
      if (err instanceof BackendUnavailableError) {
        throw new BackendUnavailableError(`${err.message}; the write may or may not have been applied`);
      }
      throw err;
    };
    // A batch that sent nothing before its COMMIT is a whole transaction in this one script.
    const sending =
      script[0]?.text === 'BEGIN' ? this.db.transactionAsync(script) : this.db.scriptAsync('writer', script, true);
    return sending.then(() => {
      current?.learn(known, lastRevision, carryOver);
    }, outcome);
  }

  /** Ends the batch here (its COMMIT or ROLLBACK is on its way): what it knew of its keys, for `CurrentRows.learn`. */
  #endBatch(): Map<string, KnownRow | null> {
    const known = this.#known;
    this.#known = new Map();
    this.#inTxn = false;
    this.#forgetBatch();
    return known;
  }

  unchanged(): boolean {
    return this.#inTxn && this.#writes.length === 0 && !this.#sentChanges;
  }

  release(lastRevision: number): Promise<void> {
    const sent = !this.#beginPending;
    const known = this.#endBatch();
    // Nothing was sent of a batch whose BEGIN is still held: there is nothing to end.
    if (!sent) return Promise.resolve();
    const current = this.#current;
    // A ROLLBACK that fails lost its connection, and the server ended the transaction, and the lock, with it.
    return this.db.queryAsync('writer', 'ROLLBACK').then(
      () => current?.learn(known, lastRevision, false),
      () => current?.clear(),
    );
  }

  /**
   * An optimistic batch (docs/replicas.md, "A lone write"): applied with no
   * lock and no read, its point reads answered from the rows of recent
   * batches as of `expected`, a key not among them taken to have none
   * unless it is `presumed` to exist. Anything that would reach the
   * database throws LockRequired meanwhile.
   */
  speculate(options: { expected: number; presumed: readonly Buffer[] }): void {
    const { expected, presumed } = options;
    if (this.#inTxn) throw new Error('speculate inside a batch');
    this.#forgetBatch();
    this.#current ??= new CurrentRows();
    // Rows kept as of another revision may be stale: another process committed since, or a batch failed.
    if (this.#current.at !== expected) this.#current.clear();
    this.#current.at = expected;
    this.#assumed = new Map();
    this.#presumed = new Set(presumed.map((key) => key.toString('latin1')));
    this.#prefetched = true;
    this.db.refuse = () => new LockRequired();
  }

  /** A read of the optimistic batch: a kept row, or none; either is assumed, and checked by the guard. */
  #assume(key: Buffer, k: string): KeyValue | undefined {
    const kept = this.#current!.get(k);
    if (kept === undefined && this.#presumed.has(k)) throw new LockRequired();
    const row = kept ?? null;
    this.#assumed!.set(k, { key, modRevision: row ? row.kv.modRevision : 0 });
    this.#known.set(k, row);
    return row?.kv;
  }

  abandonSpeculation(): void {
    this.db.refuse = undefined;
    this.#assumed = undefined;
    this.#inTxn = false;
    this.#forgetBatch();
  }

  /**
   * Sends the optimistic batch as one message: BEGIN, the revision lock, the
   * guard (the sequencer's `guard`, and each key the batch read as it
   * assumed), its rows, the revision and the COMMIT. Rejects with
   * GuardRefused when the guard failed: the worker rolled the transaction
   * back, and nothing of the batch was written.
   */
  commitOptimistic(options: { lastRevision: number; guard: GuardConditions }): Promise<void> {
    const assumed = [...this.#assumed!.values()];
    this.db.refuse = undefined;
    this.#assumed = undefined;
    const present = assumed.filter((a) => a.modRevision > 0);
    const absent = assumed.filter((a) => a.modRevision === 0);
    const values: Record<string, unknown> = { ...options.guard.values };
    present.forEach((a, i) => {
      values[`p${i}`] = a.key;
      values[`m${i}`] = a.modRevision;
    });
    absent.forEach((a, i) => (values[`a${i}`] = a.key));
    const guard = this.sql.guard({ conditions: options.guard, present: present.length, absent: absent.length });
    this.#beginPending = false;
    const script = [
      { text: 'BEGIN', params: [] },
      { text: LOCK_LAST_REVISION, params: [] },
      this.#statement(guard, values),
      ...this.#script(),
    ];
    const refused = this.#spec.dialect.shared?.guardRefused;
    return this.#send({ script, lastRevision: options.lastRevision, carryOver: true }).catch((err: unknown) => {
      throw err instanceof BackendQueryError && err.code === refused ? new GuardRefused() : err;
    });
  }

  /**
   * Never throws, and never waits: the store rolls back every backend after a
   * failed batch, often because a database is unreachable, and waiting for
   * its answer would stall every request meanwhile. The ROLLBACK is queued on
   * the writer, which runs its statements in order, so the next batch's BEGIN
   * comes after it. One whose connection is gone has nothing left to roll
   * back (the server ended the transaction with the connection).
   */
  rollback(): void {
    // What failed may have been an assumption about these rows.
    this.#current?.clear();
    const sent = !this.#beginPending;
    const open = this.#inTxn;
    this.#inTxn = false;
    this.#forgetBatch();
    // Nothing was sent of a batch whose BEGIN is still held: there is nothing to roll back.
    if (!open || !sent) return;
    // The connection may be gone, and the transaction with it; the next BEGIN opens a new one.
    this.db.queryAsync('writer', 'ROLLBACK').catch(() => undefined);
  }

  // --- for the store meta that shares this database (shared-meta.ts) ---

  /**
   * A statement inside the open batch if there is one, otherwise on the
   * reader (autocommit). Only for the store meta's own tables, which the
   * batch's held rows do not touch.
   */
  statement(text: string, params: unknown[] = []): QueryResult {
    // Inside the batch it may write (a keep-alive): taken as a change, since it is not known not to be.
    if (this.#inTxn) this.#sentChanges = true;
    this.#sendBegin();
    return this.db.query(this.#conn, text, params);
  }

  /** A statement that belongs to the batch: opens it on first use, like a row write (the meta's tables only). */
  batchStatement(text: string, params: unknown[] = []): QueryResult {
    this.#sentChanges = true;
    this.begin();
    this.#sendBegin();
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
    this.#sendBegin();
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
   * the lock. `then` are statements run right behind it in the same message
   * (so each reads what was committed once the lock was held), and so are
   * the loads of `readAhead`, the keys the batch will read (`prefetch`):
   * BEGIN, the lock, its reads and the batch's cost one round trip.
   * Resolves with the lock's result followed by those of `then`.
   */
  async beginLocked(options: {
    lock: string;
    then?: readonly string[];
    readAhead?: readonly Buffer[];
  }): Promise<QueryResult[]> {
    const { lock, then = [], readAhead = [] } = options;
    if (this.#inTxn) throw new Error('beginLocked inside a batch');
    this.#forgetBatch();
    const ahead = this.#readAhead(readAhead);
    const script = [...['BEGIN', lock, ...then].map((text) => ({ text, params: [] })), ...ahead.statements];
    const { results } = await this.db.scriptAsync('writer', script, true);
    this.#inTxn = true;
    const answers = results!.slice(1, 2 + then.length);
    if (ahead.statements.length > 0) {
      this.#prefetched = true;
      this.#learn(ahead.wanted, results!.slice(2 + then.length));
    }
    return answers;
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

/**
 * The parameters `k0`, `k1`, … of a statement over `keys`, for a power-of-two
 * number `n` of them, the last key repeated: few distinct texts to prepare.
 */
function keyParams(keys: readonly Buffer[]): { n: number; values: Record<string, unknown> } {
  const n = 2 ** Math.ceil(Math.log2(keys.length));
  const values: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) values[`k${i}`] = keys[Math.min(i, keys.length - 1)];
  return { n, values };
}

/** A tombstone's row: the key, the revision of its delete, nothing else. */
function deletedKv(key: Buffer, revision: number): KeyValue {
  return { key, createRevision: 0, modRevision: revision, version: 0, lease: 0n, value: EMPTY_VALUE };
}
