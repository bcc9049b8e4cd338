import type { Logger } from 'pino';
import type { KeyRange } from '../keys.js';
import type { KeyValue } from '../types.js';
import type { LeaseTable } from './lessor.js';

/**
 * What the revision store needs from the database behind one backend, declared
 * here by its consumer (kine's `server.Backend` is likewise owned by the layer
 * that uses it); the drivers under src/drivers/ implement it. It speaks rows
 * and revisions, never etcd requests: the MVCC rules stay in this directory.
 *
 * Sync or async: every read, and every write inside a batch, is synchronous;
 * only the batch boundary — `commit`, a compaction step and `close` — may
 * return a promise (`MaybePromise`). Why:
 *
 * - SQLite runs in-process. Its reads are microseconds, and a group commit
 *   that applies and COMMITs in one tick is what keeps a Range from ever
 *   seeing half a batch. Awaiting each read would put a microtask between
 *   every row and open exactly that window, for nothing. With fsync, its
 *   `commit` then returns the WAL's fdatasync, which runs in libuv's thread
 *   pool (drivers/wal-sync.ts), so the event loop serves while the disk works.
 * - A network database (PostgreSQL, MySQL) makes a batch durable with one
 *   COMMIT round trip: that is the async step, which the store awaits only
 *   when it gets a promise (new writes queue for the next batch meanwhile,
 *   reads answer at the last committed revision).
 * - Its reads and rows are synchronous here too, and kept off the network:
 *   every key a request reads one by one is known from the request, so the
 *   store hands a batch's keys to `prefetch` (asynchronous, one round trip)
 *   before applying it, and the driver answers the batch's point reads from
 *   memory; it holds the batch's `put`/`delete` rows and sends them with its
 *   COMMIT. What is left synchronous — a range read inside a batch, or any
 *   read outside one — waits on a worker thread (sql-bridge.ts), a loopback
 *   round trip with the event loop blocked.
 */
export type MaybePromise<T> = T | Promise<T>;

/** One label requirement an index can answer: `name` is set, to one of `values` (null: to any value). */
export interface LabelLookup {
  name: string;
  values: readonly string[] | null;
}

/** A revision row as stored: what a watch replays. */
/** A key and a revision that changed it: what prev_kv is asked for. */
export interface KeyAtRevision {
  key: Buffer;
  revision: number;
}

export interface ChangeRow {
  kv: KeyValue;
  sub: number;
  deleted: boolean;
}

/** One backend's data: current keys, their history, and the newest revision it holds. */
export interface BackendDriver {
  /** Where the data lives, for logs (a file path for SQLite; never a password). */
  readonly location: string;
  /** Local files to checkpoint (SQLite's WAL); empty for a network database. */
  readonly localFiles: readonly string[];

  // --- reads ---

  /** The newest revision this backend holds, kept even when compaction removes rows. */
  lastRevision(): number;
  get(key: Buffer): KeyValue | undefined;
  /** Keys in `range` at `revision` (null: current), in key order; `limit` < 0: all. */
  range(range: KeyRange, revision: number | null, limit: number, keysOnly?: boolean): KeyValue[];
  count(range: KeyRange, revision: number | null): number;
  /** Every change to a key of `range` with `from <= revision <= to`, in revision order. */
  changes(range: KeyRange, from: number, to: number): ChangeRow[];
  /**
   * For each change (a key and the revision that changed it), the key's
   * version that was current just before that revision, for a watch event's
   * prev_kv; undefined where there was none. In the order asked, read in as
   * few round trips as the driver can: a catch-up asks for a whole window.
   */
  prevsOf(changes: readonly KeyAtRevision[]): Array<KeyValue | undefined>;
  keysWithLease(lease: bigint): Buffer[];
  keyCount(): number;
  /**
   * Optional (the label index, selectors/label-index.ts): the versions visible
   * at `revision` (null: current) of the keys in `range` whose labels answer
   * one of `lookups` (the driver picks the one with the fewest rows), together
   * with every key whose labels could not be read (a protobuf or other
   * non-JSON value), in key order. The caller still applies the whole
   * selector to them. A driver without it is scanned.
   */
  rangeByLabel?(range: KeyRange, revision: number | null, lookups: readonly LabelLookup[]): KeyValue[];
  /**
   * Network databases: resolves to why the server cannot be reached now, or
   * undefined when it answers (the readiness check; never blocks the event
   * loop). An embedded file has none.
   */
  unreachable?(): Promise<string | undefined>;
  /**
   * Network databases: opens the batch and reads `lastRevision` holding the
   * row that records it, so a COMMIT another process sent just before it
   * died is waited for rather than missed (replicas completing a logged
   * revision, replica-completion.ts).
   */
  lockedLastRevision?(): number;

  /**
   * Optional (network databases): `range` and `count` outside a batch, without
   * blocking the event loop; the store reads at an explicit revision then,
   * since a batch may commit while the read is on its way.
   */
  rangeAsync?(range: KeyRange, revision: number | null, limit: number, keysOnly?: boolean): Promise<KeyValue[]>;
  countAsync?(range: KeyRange, revision: number | null): Promise<number>;
  /**
   * Optional (network databases): loads the current rows of `keys` before the
   * batch that reads them is applied, so that its `get`s wait for nothing.
   * Called with no other batch of this process in flight; a replica calls it
   * holding the revision lock. What it loaded is forgotten when the batch
   * commits or rolls back, or at `endBatch` if the batch wrote nothing here.
   */
  prefetch?(keys: readonly Buffer[]): Promise<void>;
  /** Optional: the batch has been applied; what `prefetch` loaded is no longer needed unless the batch wrote here. */
  endBatch?(): void;

  // --- an optimistic batch (replicas on a network database: docs/replicas.md, "A lone write") ---

  /**
   * Optional: starts applying a batch without the revision lock and without
   * reading anything. A point read answers from the rows this driver knows
   * to be current as of `expected` (the revision the store last committed or
   * caught up to), and a key it knows nothing of reads as absent, unless it
   * is one of `presumed` (batch-reads.ts `singleKeys`): each answer is an
   * assumption that `commitOptimistic` has the database check. Any other
   * read, and any statement, throws LockRequired: the batch then needs the
   * lock, and the store abandons this attempt.
   */
  speculate?(options: { expected: number; presumed: readonly Buffer[] }): void;
  /** Undoes what `speculate` started, with nothing sent to the database. */
  abandonSpeculation?(): void;
  /**
   * Sends the optimistic batch as one message: the lock, a guard that holds
   * only if `guard` (the sequencer's conditions) and every assumption of its
   * reads are true under the lock, its rows, `lastRevision` and the COMMIT.
   * Rejects with GuardRefused, with nothing written, when the guard fails.
   */
  commitOptimistic?(options: { lastRevision: number; guard: GuardConditions }): Promise<void>;

  // --- a batch under the lock that changed nothing (replicas) ---

  /** Optional: whether the open batch has changed nothing in this database yet (no row, no statement of the meta's). */
  unchanged?(): boolean;
  /**
   * Optional, with `unchanged`: ends an open batch that changed nothing
   * with a ROLLBACK instead of a COMMIT, giving the revision lock back with
   * no durable write and no notice to the other replicas. What it read
   * under the lock is current as of `lastRevision`, the store's newest.
   */
  release?(lastRevision: number): Promise<void>;

  // --- the write of one batch ---

  readonly inTransaction: boolean;
  /** Opens the batch's write on first use; later calls join it. */
  begin(): void;
  /** Appends `kv` as the key's new current version; `prev` (if any) becomes history. */
  put(kv: KeyValue, sub: number, prev: KeyValue | undefined): void;
  /** Appends a delete of `key` at `revision`. */
  delete(key: Buffer, revision: number, sub: number): void;
  /** A point inside the batch that one request's writes can be undone to. */
  savepoint(): void;
  releaseSavepoint(): void;
  rollbackToSavepoint(): void;
  /**
   * Makes the batch durable and records `lastRevision` with it, atomically.
   * The batch may be visible to this driver's reads before a returned promise
   * resolves (SQLite: COMMIT has run, the WAL's sync has not), so meanwhile
   * the store reads only at an explicit revision, the last durable one, and
   * answers nobody. A rejection with `CNPAAS_STORE_FSYNC_FAILED` means the
   * rows are committed but may not be on disk: the store stops taking writes.
   * `alone`: the batch is one request and no other batch is in flight, so
   * nothing would use the event loop while it syncs; a driver may then sync
   * on the calling thread and return nothing (SQLite does).
   */
  commit(lastRevision: number, alone?: boolean): MaybePromise<void>;
  /**
   * Optional; true when `commit` has committed the batch by the time it
   * returns and its promise only makes it durable (SQLite with the WAL synced
   * afterwards). The store may then apply and commit the next batch, if it
   * writes only this backend, before that promise resolves; the next commit's
   * promise must resolve after this one's. Unset (PostgreSQL, MySQL): the
   * promise is the COMMIT itself and the next batch waits for it.
   */
  readonly syncsAfterCommit?: boolean;
  rollback(): void;

  // --- compaction and maintenance ---

  /**
   * Removes history no read at or after `revision` can see, at most `batch`
   * rows; returns how many it removed. Called again until it returns 0.
   */
  compact(revision: number, batch: number): MaybePromise<number>;
  size(): { total: number; inUse: number };
  defragment(): void;
  /** The durability-relevant settings it runs with, for tests and diagnostics. */
  settings(): Record<string, unknown>;
  close(): MaybePromise<void>;
}

/** One change of a logged revision: enough to re-apply it to its backend. */
export interface LoggedChange {
  backend: string;
  type: 'put' | 'delete';
  key: Buffer;
  sub: number;
  createRevision: number;
  version: number;
  lease: bigint;
  value: Buffer;
}

export interface LoggedRevision {
  revision: number;
  changes: LoggedChange[];
}

/**
 * The store-wide state no single backend owns: identity, the compact
 * revision, leases, and the revision log that makes a write spanning
 * backends atomic (meta.db today). Its writes join the batch like a
 * backend's and commit first.
 */
export interface MetaBackend {
  readonly location: string;
  /**
   * Present when other store processes may write the same databases (the
   * main backend and meta in one shared network database): revisions are
   * then taken under a lock in the database, not from this process's memory.
   */
  readonly sequencer?: RevisionSequencer;
  /** Present with `sequencer`: leases live in the shared database, with its clock, not in memory. */
  readonly leaseTable?: LeaseTable;
  readonly localFiles: readonly string[];
  /** A random, persistent ID, created on first use. */
  identity(name: 'member_id' | 'cluster_id'): string;
  /**
   * The routing (routing-fingerprint.ts) the data was last served under, and
   * recording a new one. Absent on replicas: their main database records the
   * routing all of them share (shared-topology.ts).
   */
  recordedRouting?(): string | undefined;
  recordRouting?(encoded: string): void;
  compactRevision(): number;
  /** The highest revision recorded here (logged writes, compactions). */
  revisionFloor(): number;
  /**
   * Durable on return: a compaction is acknowledged only after it. `committed` is the store's last committed
   * revision, which the revision floor is raised to.
   */
  setCompactRevision(revision: number, committed: number): void;
  leases(): Array<{ id: bigint; ttl: number }>;
  putLease(id: bigint, ttl: number): void;
  deleteLease(id: bigint): void;
  /**
   * Logs revisions that span backends; committing the log is their
   * durability point. meta.db: joins the batch, which commits it first.
   * Replicas: committed on a connection of its own before this returns,
   * while the batch (and the revision lock) stays open.
   */
  log(revisions: LoggedRevision[], trimUpTo: number): void;
  logged(): LoggedRevision[];
  clearLog(): void;

  readonly inTransaction: boolean;
  savepoint(): void;
  releaseSavepoint(): void;
  rollbackToSavepoint(): void;
  commit(): void;
  rollback(): void;
  defragment(): void;
  settings(): Record<string, unknown>;
  close(): void;
}

/**
 * The store-wide write lock of replicas (docs/replicas.md). Every batch runs
 * inside `lock()`: the main backend's transaction is open and holds the one
 * row that records the newest revision, so no other process can take a
 * revision until this batch has committed or rolled back. Revisions are
 * therefore taken, committed and made visible in one order everywhere.
 */
/** The keys a batch will read one by one, by the backend that holds them (mvcc/batch-reads.ts). */
export type ReadAhead = ReadonlyMap<BackendDriver, readonly Buffer[]>;

export interface RevisionSequencer {
  /**
   * Opens the main backend's batch holding the lock; resolves with the
   * newest committed revision and the logged revisions above it. Those were
   * left by a replica that died between its databases' commits: the holder
   * of the lock completes them before anything else (replica-completion.ts).
   */
  lock(readAhead?: ReadAhead): Promise<{ latest: number; logged: LoggedRevision[] }>;
  /** Inside the locked batch: drops the log entries up to `revision`; they go with the batch's COMMIT. */
  forgetLogged(revision: number): void;
  /** The newest committed revision, read without the lock (what a follower polls). */
  latest(): Promise<number>;
  /** The same, synchronously, for a linearizable read. */
  latestNow(): number;
  /** What a linearizable read needs, in one round trip that does not block: the newest revision and the compact revision. */
  linearizable(): Promise<{ latest: number; compactRevision: number }>;
  /** Calls `wake` whenever another process may have committed; returns a stop function. */
  subscribe(wake: () => void): () => void;
  /**
   * Optional: SQL conditions on the main database that hold, read under the
   * lock, exactly when `lock()` would find `expected` the newest revision
   * and nothing to complete or refuse: an optimistic batch commits only if
   * they do. Undefined when this process must not write optimistically.
   */
  optimisticGuard?(expected: number): GuardConditions | undefined;
}

/**
 * An optimistic batch's guard conditions, opaque to the store: SQL the
 * database evaluates under the lock. `text` writes each parameter as `p(name)`
 * and `values` holds them, so the text is the same from one batch to the next
 * and the database can keep its plan (postgres-prepared.ts).
 */
export interface GuardConditions {
  text(p: (name: string) => string): string[];
  values: Readonly<Record<string, unknown>>;
}

/** Thrown while an optimistic batch is applied, by whatever would have to ask the database: apply it under the lock. */
export class LockRequired extends Error {
  constructor() {
    super('this write needs the revision lock: a read the optimistic batch cannot answer from memory');
  }
}

/** The database refused an optimistic batch's guard: another process wrote, or a row was not as assumed. Nothing was written. */
export class GuardRefused extends Error {
  constructor() {
    super('the optimistic batch was refused by its guard; nothing of it was written');
  }
}

/** A backend's database as the topology names it, checked by the driver registry. */
export interface BackendEndpoint {
  /** The driver's scheme, e.g. `sqlite`. */
  scheme: string;
  /** Which database: no two backends may share one (SQLite: the absolute file path). May hold a password. */
  location: string;
  /** The endpoint as it may appear in a log or an error: never a password. */
  display: string;
}

export interface OpenOptions {
  /** false only for tests (--unsafe-no-fsync). */
  fsync: boolean;
  /** SQLite: the size a WAL file is cut back to (--wal-size-limit); default WAL_SIZE_LIMIT_BYTES. */
  walSizeLimitBytes?: number;
  /** SQLite: keep the label index (--label-index); off drops one a file has, so turning it on rebuilds it. */
  labelIndex?: boolean;
}

/**
 * How the revision store gets its databases, so it never constructs a driver
 * itself; drivers/registry.ts implements it by scheme.
 */
export interface BackendOpener {
  /** meta.db in the data dir; opened first, so it also creates the data dir. */
  openMeta(dataDir: string, options: OpenOptions): MetaBackend;
  /** The default backend, for keys no route claims: main.db in the data dir. */
  openDefault(dataDir: string, options: OpenOptions): BackendDriver;
  /**
   * The default backend and meta together in one network database that
   * several store processes share (--main-endpoint): the meta's sequencer and
   * lease table are set.
   */
  openShared?(endpoint: BackendEndpoint, options: OpenOptions, log: Logger): { meta: MetaBackend; main: BackendDriver };
  open(endpoint: BackendEndpoint, options: OpenOptions): BackendDriver;
}
