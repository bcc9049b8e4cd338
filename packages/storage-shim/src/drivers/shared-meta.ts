import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { StoreError } from '../errors.js';
import type { GuardConditions, LoggedRevision, MetaBackend, ReadAhead, RevisionSequencer } from '../mvcc/backend.js';
import { decodeChanges, encodeChanges } from './revision-log-codec.js';
import type { LeaseTable } from '../mvcc/lessor.js';
import { LOCK_LAST_REVISION, type NetworkSqlDriver } from './network-sql-driver.js';
import { type SharedTopology, TOPOLOGY_DIGEST_ROW } from './shared-topology.js';
import type { QueryResult } from './sql-bridge.js';
import { type Param, type SharedMetaSql, bind, compile } from './sql/dialect.js';

/** How often a replica looks for others' commits when no notification woke it. */
export const POLL_MS = 250;
/** ... and where the database has no notifications (MySQL): this is then the watch latency across replicas. */
export const NO_NOTIFY_POLL_MS = 50;

/**
 * A way for replicas to wake each other on commit (PostgreSQL's
 * LISTEN/NOTIFY: postgres-commit-listener.ts). Without one, replicas poll.
 */
export interface CommitNotifier {
  /** The statement a batch runs before its COMMIT, naming the committing replica. */
  notice(self: string): string;
  /** Calls `wake` when another replica committed; returns a stop function. */
  listen(options: { self: string; wake: () => void; log: Logger }): () => void;
}

/**
 * The store meta of replicas (docs/replicas.md): it lives in the main
 * backend's database, beside `kv` and `history`, so that one transaction
 * there covers a batch's rows, its leases and its revision.
 *
 * - The main backend's `meta` row `last_revision` is the sequencing lock: a
 *   batch locks it (`SELECT ... FOR UPDATE`) before it reads anything or
 *   takes a revision, and writes it in the same COMMIT.
 * - `compact_revision` and `cluster_id` are rows of the same `meta` table.
 * - Leases are rows of `store_leases` with an expiry on the database's clock.
 * - A batch that also writes routed backends (other databases) logs its
 *   revisions in `store_txlog`, committed on a connection of its own while
 *   the lock is held, before any database commits the batch; the main
 *   backend's COMMIT drops them again. Entries above `last_revision` were
 *   left by a replica that died in between: the next lock holder completes
 *   them (mvcc/replica-completion.ts).
 * - `topology` and `topology_digest` record the routing every replica must
 *   share (shared-topology.ts); the digest is read with the revision.
 *
 * The SQL that differs between databases is the dialect's `shared`.
 */
export class SharedMeta implements MetaBackend {
  readonly location: string;
  readonly localFiles: readonly string[] = [];
  readonly sequencer: RevisionSequencer;
  readonly #sql: Sql;
  readonly #leases: SharedLeases;
  readonly #log: Logger;
  /** The member ID of this process: replicas share the cluster ID, each has its own member ID. */
  readonly #memberId = randomId();

  /**
   * `topology`: the routing this replica runs with, compared with the one
   * recorded before any routed database is opened; without it (a
   * RevisionStore built without store-server.ts) nothing is compared.
   */
  constructor(options: { main: NetworkSqlDriver; notifier?: CommitNotifier; log: Logger; topology?: SharedTopology }) {
    const { main, notifier, log, topology } = options;
    const shared = main.dialect.shared;
    if (!shared) throw new Error(`replicas are not supported on ${main.dialect.name}`);
    this.#sql = new Sql(main, shared);
    this.location = main.location;
    main.setup(shared.setup(randomId()));
    // Kept on a connection opened after the server restarts: the lock timeouts matter most then.
    main.sessionSettings(shared.session);
    topology?.compare(this.#sql, { location: this.location, log });
    if (notifier) main.commitNotice = notifier.notice(this.#memberId);
    this.sequencer = new Sequencer({ main, notifier, log, self: this.#memberId, sql: this.#sql, topology });
    this.#leases = new SharedLeases(this.#sql);
    this.#log = log;
  }

  get leaseTable(): LeaseTable {
    return this.#leases;
  }

  identity(name: 'member_id' | 'cluster_id'): string {
    if (name === 'member_id') return this.#memberId;
    return String(this.#get('cluster_id'));
  }

  compactRevision(): number {
    const v = this.#get('compact_revision');
    return v === undefined ? -1 : Number(v);
  }

  /** The main backend's `last_revision` is the floor; the meta adds nothing to it. */
  revisionFloor(): number {
    return 0;
  }

  /**
   * Never lowers it: replicas that compact at once leave the highest revision. Committed on its own (the
   * reader, autocommit): this replica's batch keeps its transaction open across awaits, and inside it the
   * record would be undone with a batch that fails while the rows below it are deleted anyway.
   */
  setCompactRevision(revision: number): void {
    const stmt = compile(this.#sql.dialect, this.#sql.shared.raiseCompact);
    this.#sql.outsideBatch(stmt.text, bind(stmt, this.#sql.dialect, { rev: String(revision) }) as unknown[]);
  }

  leases(): Array<{ id: bigint; ttl: number }> {
    return this.#sql
      .run('leases', (_, id) => `SELECT ${id('id')} AS id, ttl FROM store_leases`, {})
      .rows.map((r) => ({ id: BigInt(r.id as string), ttl: Number(r.ttl) }));
  }

  putLease(id: bigint, ttl: number): void {
    this.#sql.run(
      'putLease',
      (p) =>
        `INSERT INTO store_leases (id, ttl, expires_at) VALUES (${p('id')}, ${p('ttl')}, ${this.#sql.shared.nowMs} + ${p('ms')})`,
      { id: id.toString(), ttl, ms: ttl * 1000 },
      true,
    );
  }

  deleteLease(id: bigint): void {
    this.#sql.run('deleteLease', (p) => `DELETE FROM store_leases WHERE id = ${p('id')}`, { id: id.toString() }, true);
  }

  /**
   * Committed before this returns, on the reader (autocommit), while the
   * batch holds the lock: other databases may commit the batch only once it
   * is logged. One statement, so a batch's revisions are logged whole.
   */
  log(revisions: LoggedRevision[]): void {
    const values: Record<string, unknown> = {};
    revisions.forEach((r, i) => {
      values[`r${i}`] = r.revision;
      values[`c${i}`] = encodeChanges(r.changes);
    });
    const stmt = compile(
      this.#sql.dialect,
      (p) =>
        `INSERT INTO store_txlog (revision, changes) VALUES ${revisions.map((_, i) => `(${p(`r${i}`)}, ${p(`c${i}`)})`).join(', ')}`,
    );
    this.#sql.outsideBatch(stmt.text, bind(stmt, this.#sql.dialect, values) as unknown[]);
  }

  /** Replicas complete logged revisions under the lock (RevisionSequencer.lock), not at start-up. */
  logged(): LoggedRevision[] {
    return [];
  }

  clearLog(): void {}

  /** Its writes are the main backend's batch: that driver opens, commits and rolls it back. */
  get inTransaction(): boolean {
    return false;
  }

  savepoint(): void {}
  releaseSavepoint(): void {}
  rollbackToSavepoint(): void {}

  /** Called once the main database committed the batch (replica-commit.ts): its keep-alives are kept. */
  commit(): void {
    this.#leases.forgetRenewed();
  }

  /**
   * Called after the drivers rolled the batch back, so this process holds no
   * lock: the keep-alives that ran inside the batch were undone with it
   * although their clients were told they succeeded. They are renewed again
   * now, on their own (renewing is idempotent), without blocking the event
   * loop: the batch may have failed because the database is unreachable, and
   * a statement waiting for it would stall every request until the
   * connection attempt timed out. A lease the batch revoked is not revoked
   * either, so renewing it is what its client was told. With the database
   * gone, the lease keeps its earlier expiry, as it would have.
   */
  rollback(): void {
    this.#leases.renewAgain().catch((err: unknown) => {
      this.#log.warn({ err }, 'keep-alives undone by a failed batch could not be renewed again');
    });
  }

  defragment(): void {}

  settings(): Record<string, unknown> {
    return { shared: true };
  }

  close(): void {
    (this.sequencer as Sequencer).close();
  }

  #get(name: string): string | undefined {
    return this.#sql.run('get', (p) => `SELECT value FROM meta WHERE name = ${p('name')}`, { name }).rows[0]?.value as
      string | undefined;
  }
}

/** Statements in the main backend's dialect, compiled once each. */
class Sql {
  readonly #main: NetworkSqlDriver;
  readonly #compiled = new Map<string, ReturnType<typeof compile>>();
  readonly shared: SharedMetaSql;

  constructor(main: NetworkSqlDriver, shared: SharedMetaSql) {
    this.#main = main;
    this.shared = shared;
  }

  get dialect() {
    return this.#main.dialect;
  }

  /** Whether this replica's batch is open: statements then run inside it. */
  get batchOpen(): boolean {
    return this.#main.inTransaction;
  }

  outsideBatch(text: string, params: unknown[]) {
    return this.#main.outsideBatch(text, params);
  }

  /** `inBatch`: a write of the batch (opens it on first use); otherwise inside the open batch or on the reader. */
  run(name: string, template: Template, values: Record<string, unknown>, inBatch = false) {
    const { text, params } = this.#bound(name, template, values);
    return inBatch ? this.#main.batchStatement(text, params) : this.#main.statement(text, params);
  }

  /** On the reader, committed on its own, without blocking the event loop. */
  runAsync(name: string, template: Template, values: Record<string, unknown>): Promise<QueryResult> {
    const { text, params } = this.#bound(name, template, values);
    return this.#main.readAsync(text, params);
  }

  #bound(name: string, template: Template, values: Record<string, unknown>): { text: string; params: unknown[] } {
    const dialect = this.#main.dialect;
    let stmt = this.#compiled.get(name);
    if (!stmt) {
      stmt = compile(dialect, (p) => template(p, (c) => dialect.intAsText(c)));
      this.#compiled.set(name, stmt);
    }
    return { text: stmt.text, params: bind(stmt, dialect, values) as unknown[] };
  }
}

/** A statement's SQL, given how to write a parameter and how to read a BIGINT column as text. */
type Template = (p: Param, asText: (column: string) => string) => string;

/**
 * The newest revision; with the compact revision for a linearizable read. Each reads the recorded
 * topology's digest in the same statement: one snapshot, so a replica whose topology was replaced
 * never reads a revision written under the new one without noticing (shared-topology.ts).
 */
const LATEST = `SELECT name, value FROM meta WHERE name IN ('last_revision', '${TOPOLOGY_DIGEST_ROW}')`;
const LINEARIZABLE = `SELECT name, value FROM meta WHERE name IN ('last_revision', 'compact_revision', '${TOPOLOGY_DIGEST_ROW}')`;
/** Normally empty: each batch's COMMIT drops its own entries. Sent right behind the lock, so it reads after the lock is held. */
const LOGGED = 'SELECT revision, changes FROM store_txlog ORDER BY revision';
/** Sent behind the lock too: a topology recorded since this replica started refuses its batch. */
const TOPOLOGY_DIGEST = `SELECT value FROM meta WHERE name = '${TOPOLOGY_DIGEST_ROW}'`;

interface SequencerOptions {
  main: NetworkSqlDriver;
  notifier: CommitNotifier | undefined;
  log: Logger;
  /** This replica's member ID: its own commits' notifications are ignored. */
  self: string;
  sql: Sql;
  topology: SharedTopology | undefined;
}

class Sequencer implements RevisionSequencer {
  readonly #main: NetworkSqlDriver;
  readonly #options: SequencerOptions;
  #stopListening: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The linearizable read not yet sent, that reads arriving now join. */
  #nextRead: Promise<{ latest: number; compactRevision: number }> | undefined;

  constructor(options: SequencerOptions) {
    this.#main = options.main;
    this.#options = options;
  }

  /** The lock, its reads and the batch's reads of the main backend: one round trip. */
  async lock(readAhead?: ReadAhead): Promise<{ latest: number; logged: LoggedRevision[] }> {
    const topology = this.#options.topology;
    const [locked, log, digest] = await this.#main.beginLocked({
      lock: LOCK_LAST_REVISION,
      then: topology ? [LOGGED, TOPOLOGY_DIGEST] : [LOGGED],
      readAhead: readAhead?.get(this.#main) ?? [],
    });
    if (topology && !topology.agrees(digest!.rows[0]?.value)) {
      // Nothing of the batch is written: give the lock back, then say why (verify throws).
      this.#main.rollback();
      topology.verify(digest!.rows[0]?.value);
    }
    if (locked!.rows.length === 0) {
      // FOR UPDATE on no row locks nothing: two replicas would both take the next revision.
      this.#main.rollback();
      const fix =
        "restore the database from a backup, or stop every replica and insert the row again with the highest revision the tables hold: INSERT INTO meta (name, value) SELECT 'last_revision', max(mod_revision) FROM (SELECT mod_revision FROM kv UNION ALL SELECT mod_revision FROM history) AS r";
      // The client sees only the message (as UNAVAILABLE), so it carries the fix too.
      throw new StoreError(
        'CNPAAS_STORE_MISSING_TABLE',
        `${this.#main.location}: the meta row last_revision is gone (CNPAAS_STORE_MISSING_TABLE); it is the lock that orders every replica's writes, so the store takes none without it: ${fix}`,
        fix,
      );
    }
    const latest = revisionOf(locked!.rows[0]);
    const logged = log!.rows
      .map((r) => ({ revision: Number(r.revision), changes: r.changes as Buffer }))
      .filter((r) => r.revision > latest)
      .map((r) => ({ revision: r.revision, changes: decodeChanges(r.changes) }));
    return { latest, logged };
  }

  /**
   * What `lock` checks, as conditions an optimistic batch's guard reads under
   * the lock: `expected` is the newest revision, no logged revision waits
   * above it, and the recorded topology is this replica's. Where one fails,
   * the batch is refused and taken again under `lock`, which says why.
   */
  optimisticGuard(expected: number): GuardConditions | undefined {
    const topology = this.#options.topology?.guardCondition;
    if (topology === null || !Number.isSafeInteger(expected)) return undefined;
    return {
      // The row `lock` reads (a missing one fails here too, and `lock` then names it), as `revisionOf` reads it:
      // a database no write has reached yet records 0, the revision 1 every store starts at.
      text: (p) => [
        `EXISTS (SELECT 1 FROM meta WHERE name = 'last_revision' AND value IN (${p('guard_recorded')}, ${p('guard_or')}))`,
        `NOT EXISTS (SELECT 1 FROM store_txlog WHERE revision > ${p('guard_expected')})`,
        ...(topology === undefined ? [] : [topology]),
      ],
      values: {
        guard_recorded: String(expected),
        guard_or: expected === 1 ? '0' : String(expected),
        guard_expected: expected,
      },
    };
  }

  forgetLogged(revision: number): void {
    this.#options.sql.run(
      'forgetLogged',
      (p) => `DELETE FROM store_txlog WHERE revision <= ${p('rev')}`,
      { rev: revision },
      true,
    );
  }

  async latest(): Promise<number> {
    return revisionOf(this.#checked((await this.#main.readAsync(LATEST)).rows)('last_revision'));
  }

  latestNow(): number {
    return revisionOf(this.#checked(this.#main.statement(LATEST).rows)('last_revision'));
  }

  /**
   * The rows of `meta` a query returned, by name, once the recorded topology is found to be this replica's: a
   * replica whose topology was replaced must not catch up or answer, since those revisions may be routed anew.
   */
  #checked(rows: Array<Record<string, unknown>>): (name: string) => Record<string, unknown> | undefined {
    const value = (name: string) => rows.find((row) => row.name === name);
    this.#options.topology?.verify(value(TOPOLOGY_DIGEST_ROW)?.value);
    return value;
  }

  /**
   * Reads that arrive together share one query, sent once they are all in
   * (etcd batches its ReadIndex requests the same way): it starts after each
   * of them began, so it sees every write acknowledged before any of them.
   */
  linearizable(): Promise<{ latest: number; compactRevision: number }> {
    this.#nextRead ??= new Promise((resolve, reject) => {
      setImmediate(() => {
        this.#nextRead = undefined;
        this.#main.readAsync(LINEARIZABLE).then((r) => {
          try {
            const value = this.#checked(r.rows);
            const compact = value('compact_revision');
            resolve({
              latest: revisionOf(value('last_revision')),
              compactRevision: compact ? Number(compact.value) : -1,
            });
          } catch (err) {
            reject(err);
          }
        }, reject);
      });
    });
    return this.#nextRead;
  }

  /** A notification wakes the replica as soon as another commits; a slow poll covers one that never came. */
  subscribe(wake: () => void): () => void {
    const { notifier, log, self } = this.#options;
    this.#timer = setInterval(wake, notifier ? POLL_MS : NO_NOTIFY_POLL_MS);
    this.#timer.unref();
    this.#stopListening = notifier?.listen({ self, wake, log });
    return () => this.close();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#stopListening?.();
    this.#stopListening = undefined;
  }
}

function revisionOf(row: Record<string, unknown> | undefined): number {
  return Math.max(1, Number(row?.value ?? 0));
}

function randomId(): string {
  return BigInt.asUintN(63, randomBytes(8).readBigUInt64BE()).toString();
}

/** Leases as rows of the shared database, timed by its clock (see LeaseTable). */
class SharedLeases implements LeaseTable {
  readonly #sql: Sql;
  /**
   * Leases renewed inside this replica's open batch (the statement path runs
   * in it). Renewing them on a connection of their own instead could wait on
   * the row the same batch's revoke holds while that batch waits for its
   * routed commits: a batch that fails renews them again once rolled back.
   */
  readonly #renewedInBatch = new Set<bigint>();

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  get size(): number {
    return Number(this.#sql.run('leaseCount', () => 'SELECT count(*) AS n FROM store_leases', {}).rows[0]!.n);
  }

  has(id: bigint): boolean {
    return this.get(id) !== undefined;
  }

  get(id: bigint): { ttl: number } | undefined {
    const row = this.#sql.run('lease', (p) => `SELECT ttl FROM store_leases WHERE id = ${p('id')}`, {
      id: id.toString(),
    }).rows[0];
    return row && { ttl: Number(row.ttl) };
  }

  /** The grant's row is written by the batch (SharedMeta.putLease). */
  add(): void {}
  delete(): void {}
  clear(): void {}

  /** A lease whose time is up is not renewed: some replica is about to revoke it. */
  readonly #renew: Template = (p) => {
    const now = this.#sql.shared.nowMs;
    return `UPDATE store_leases SET expires_at = ${now} + ttl * 1000 WHERE id = ${p('id')} AND expires_at > ${now}`;
  };

  renew(id: bigint): number {
    const updated = this.#sql.run('renew', this.#renew, { id: id.toString() });
    if (updated.rowCount === 0) return 0;
    if (this.#sql.batchOpen) this.#renewedInBatch.add(id);
    return this.get(id)?.ttl ?? 0;
  }

  forgetRenewed(): void {
    this.#renewedInBatch.clear();
  }

  /** Outside the batch (it was rolled back), each committed on its own; rejects if the database is gone. */
  async renewAgain(): Promise<void> {
    const ids = [...this.#renewedInBatch];
    this.#renewedInBatch.clear();
    await Promise.all(ids.map((id) => this.#sql.runAsync('renew', this.#renew, { id: id.toString() })));
  }

  remaining(id: bigint): number {
    const now = this.#sql.shared.nowMs;
    const row = this.#sql.run(
      'remaining',
      (p) => `SELECT expires_at - ${now} AS left_ms FROM store_leases WHERE id = ${p('id')}`,
      { id: id.toString() },
    ).rows[0];
    return row ? Math.max(0, Math.trunc(Number(row.left_ms) / 1000)) : -1;
  }

  ids(): bigint[] {
    return this.#sql
      .run('leaseIds', (_, asText) => `SELECT ${asText('id')} AS id FROM store_leases`, {})
      .rows.map((r) => BigInt(r.id as string));
  }

  /** Every replica asks; the revoke is idempotent under the lock, so only one of them deletes the keys. */
  expired(): bigint[] {
    const now = this.#sql.shared.nowMs;
    return this.#sql
      .run('expired', (_, asText) => `SELECT ${asText('id')} AS id FROM store_leases WHERE expires_at <= ${now}`, {})
      .rows.map((r) => BigInt(r.id as string));
  }
}
