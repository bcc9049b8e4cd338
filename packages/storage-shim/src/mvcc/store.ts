import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { BackendUnavailableError, EtcdError, Errors, LimitErrors, StoreError } from '../errors.js';
import { type KeyRange, toKeyRange } from '../keys.js';
import { Router } from '../routing/router.js';
import { decodeFingerprint } from '../routing/routing-fingerprint.js';
import { DEFAULT_BACKEND, type BackendConfig, type Topology, loadTopology } from '../routing/topology.js';
import { isDeepStrictEqual } from 'node:util';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseInfo,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../types.js';
import { rangeRequest } from '../types.js';
import { type LeaseTable, Lessor, MAX_LEASE_TTL } from './lessor.js';
import {
  type BackendDriver,
  type BackendEndpoint,
  type BackendOpener,
  GuardRefused,
  type LoggedChange,
  type MetaBackend,
  type OpenOptions,
  type ReadAhead,
  type RevisionSequencer,
} from './backend.js';
import { keysByBackend, prefetchBatch, singleKeys } from './batch-reads.js';
import { Optimism } from './optimism.js';
import { describeMisplaced, misplacedKeys } from './placement.js';
import { PageCounts } from './page-counts.js';
import { recoverLoggedRevisions } from './recovery.js';
import { commitInOrder } from './replica-commit.js';
import { completeLogged } from './replica-completion.js';
import { deleteKv, readsAsync, writeView } from './write-view.js';
import {
  type Change,
  type TxnView,
  applyDeleteRange,
  applyRange,
  applyRangeAsync,
  applyStandalonePut,
  applyTxn,
  isReadOnly,
} from './txn.js';

export interface RevisionStoreOptions {
  dataDir: string;
  topology: Topology;
  /** false only for tests (--unsafe-no-fsync). */
  fsync: boolean;
  /** SQLite: the size a WAL file is cut back to (--wal-size-limit); default WAL_SIZE_LIMIT_BYTES. */
  walSizeLimitBytes?: number;
  /** SQLite: keep a label index per backend (--label-index). */
  labelIndex?: boolean;
  /** Opens each backend's database by its endpoint's scheme: drivers/registry.ts. */
  opener: BackendOpener;
  logger: Logger;
  /** Rows deleted per compaction step; steps yield to the event loop. */
  compactionBatch?: number;
  now?: () => number;
  /** Leases the store holds at most (--max-leases); a grant beyond it is refused. Default: no limit. */
  maxLeases?: number;
  /**
   * --main-endpoint: the main backend and meta in one network database that
   * other store processes may share (replicas, docs/replicas.md). Unset:
   * main.db and meta.db in the data dir, owned by this process alone.
   */
  mainEndpoint?: BackendEndpoint;
  /**
   * Replicas: send a batch of single-key writes optimistically, with its
   * lock in one message (#optimisticBatch). Default true; false takes every
   * batch under the lock first (tests that hold a batch open there).
   */
  optimistic?: boolean;
}

/** The changes of one committed revision, in the order they were made. */
export interface Revision {
  revision: number;
  changes: Change[];
}

export type CommitListener = (revisions: Revision[]) => void;

export interface CommitStats {
  batches: number;
  writes: number;
  fsyncs: number;
  /** Replicas: batches sent optimistically that committed, and those their guard refused (then taken under the lock). */
  optimistic: number;
  refused: number;
}

type WriteOp =
  | { kind: 'put'; req: PutRequest }
  | { kind: 'deleteRange'; req: DeleteRangeRequest }
  | { kind: 'txn'; req: TxnRequest }
  | { kind: 'leaseGrant'; id: bigint; ttl: number }
  | { kind: 'leaseRevoke'; id: bigint };

interface Pending {
  op: WriteOp;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Each request's answer, or the error that refused it alone. */
type BatchResults = Array<{ ok: unknown } | { err: EtcdError }>;

interface Batch {
  revisions: Revision[];
  /** The store's revision before the batch, and after it was applied. */
  before: number;
  after: number;
}

/**
 * The log-structured revision store: one global revision over every backend
 * file, etcd's MVCC rules, group commit, leases and compaction. The gRPC layer
 * sees only this class (through the Backend interface); the SQL lives in the
 * driver below it.
 */
export class RevisionStore {
  readonly #drivers = new Map<string, BackendDriver>();
  #router: Router;
  #topology: Topology;
  readonly #meta: MetaBackend;
  readonly #lessor: LeaseTable;
  /** The counts of list pages' continuations, for the read views (page-counts.ts). */
  readonly #pageCounts = new PageCounts();
  /** Replicas only: the lock every batch takes in the shared database. */
  readonly #sequencer: RevisionSequencer | undefined;
  #unfollow: (() => void) | undefined;
  /** A wake-up of the follower came while a step was in flight (`#follow`). */
  #followPending = false;
  readonly #log: Logger;
  readonly #options: RevisionStoreOptions;
  readonly #listeners = new Set<CommitListener>();
  readonly #compactedAhead = new Set<(compactRevision: number) => void>();
  #revision = 1;
  /**
   * The newest revision whose batch is durable: what reads and headers
   * report. It trails `#revision` only while an asynchronous commit is in
   * flight (a network COMMIT, or a SQLite file's WAL sync), so nobody is told
   * of a revision that could still be lost; reads meanwhile are pinned to it.
   */
  #committed = 1;
  #compactRevision = -1;
  #queue: Pending[] = [];
  #flushScheduled = false;
  /** The newest batch (or start-up recovery) whose commit is still in flight; only asynchronous drivers leave one. */
  #committing: Promise<void> | undefined;
  /** Batches in flight: one, or two while a batch overlaps the sync of the one before (#overlappable). */
  #inFlight = 0;
  /** Leases whose revoke is applied in a batch that has neither committed nor failed yet (leaseRenew). */
  readonly #revoking = new Set<bigint>();
  /** The only file whose WAL sync the batches in flight wait for, when they committed nothing else (#overlappable). */
  #syncingFile: string | undefined;
  #closed = false;
  /** Set when start-up recovery failed: reads still work, writes are refused. */
  #refusingWrites = false;
  /** Replicas: whether the next batch is sent optimistically (#optimisticBatch). */
  readonly #optimism = new Optimism();
  /**
   * One store process (no sequencer): set when an asynchronous COMMIT failed
   * (a network database went away mid-commit). Its outcome is unknown, and a
   * batch spanning backends may have committed in some and not others, so
   * before the next batch takes a revision the store re-applies the revision
   * log and catches up with what the databases hold (#resync); until that
   * works, writes are refused with the backend's UNAVAILABLE.
   */
  #resync = false;
  #resyncTimer: NodeJS.Timeout | undefined;
  /**
   * The WAL syncs of the files a failed batch did commit before a later
   * file's COMMIT threw: the resync waits for them, so it never reports a
   * revision before it is durable (a failed one stops writes, #failSync).
   */
  #abandonedSyncs: Promise<PromiseSettledResult<void>[]> | undefined;
  #compacting: Promise<void> = Promise.resolve();
  readonly stats: CommitStats = { batches: 0, writes: 0, fsyncs: 0, optimistic: 0, refused: 0 };
  readonly memberId: string;
  readonly clusterId: string;
  /**
   * Settles once start-up recovery is done (at once when nothing was
   * logged, or every driver is synchronous). Until then a backend may hold
   * a logged revision that another lacks, and a read would see it in part:
   * the server listens only after it (store-server.ts). A failed recovery
   * leaves a store that refuses writes; this rejects only if the state
   * could not be read afterwards, and the store cannot start then.
   */
  readonly recovered: Promise<void>;

  constructor(options: RevisionStoreOptions) {
    this.#options = options;
    this.#log = options.logger;
    const { opener, dataDir } = options;
    const open = this.#openOptions();
    if (options.mainEndpoint) {
      const local = options.topology.backends.find((b) => b.scheme === 'sqlite');
      if (local) throw replicaLocalBackend(local);
      if (!opener.openShared) throw new Error('this opener cannot open a shared main backend');
      const shared = opener.openShared(options.mainEndpoint, open, options.logger);
      this.#meta = shared.meta;
      this.#drivers.set(DEFAULT_BACKEND, shared.main);
      for (const b of options.topology.backends) this.#drivers.set(b.name, opener.open(b, open));
    } else {
      this.#meta = opener.openMeta(dataDir, open);
      this.#drivers.set(DEFAULT_BACKEND, opener.openDefault(dataDir, open));
      for (const b of options.topology.backends) this.#drivers.set(b.name, opener.open(b, open));
    }
    this.#sequencer = this.#meta.sequencer;
    this.#router = new Router(options.topology);
    this.#topology = options.topology;
    this.#lessor = this.#meta.leaseTable ?? new Lessor(options.now);
    this.memberId = this.#meta.identity('member_id');
    this.clusterId = this.#meta.identity('cluster_id');
    const recovering = this.#recover();
    if (recovering) {
      // Only an asynchronous driver recovers in the background; writes wait for it. If
      // it fails, the store must not write on top of a half-recovered backend: it stops
      // taking writes (etcd's "server stopped") and says why.
      const recovered = recovering.then(
        () => this.#load(),
        (err: unknown) => {
          this.#log.error({ err }, 'recovery of logged revisions failed; refusing writes');
          this.#refusingWrites = true;
          for (const item of this.#queue.splice(0)) item.reject(Errors.stopped());
        },
      );
      this.#committing = this.#settle(recovered);
      this.recovered = this.#committing;
    } else {
      this.#load();
      this.recovered = Promise.resolve();
    }
    // Replicas: another process's commits are read back from the shared database and fed to the watchers.
    this.#unfollow = this.#sequencer?.subscribe(() => this.#follow());
  }

  /** True when other store processes may share this store's databases (--main-endpoint). */
  get shared(): boolean {
    return this.#sequencer !== undefined;
  }

  get revision(): number {
    return this.#committed;
  }

  get compactRevision(): number {
    return this.#compactRevision;
  }

  get backendNames(): string[] {
    return [...this.#drivers.keys()];
  }

  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onCompactedAhead(listener: (compactRevision: number) => void): () => void {
    this.#compactedAhead.add(listener);
    return () => this.#compactedAhead.delete(listener);
  }

  // --- reads ---

  /**
   * Answered synchronously from SQLite files; from network databases without
   * blocking the event loop (a promise), at the last committed revision.
   */
  range(req: RangeRequest): RangeResponse | Promise<RangeResponse> {
    if (this.#readsAsync(req)) return this.#rangeAsync(req);
    if (!req.serializable) this.#linearize();
    return applyRange(this.#readView(), req);
  }

  /** Whether every backend the range reads is a network database, and no selector needs the synchronous path. */
  #readsAsync(req: RangeRequest): boolean {
    if (!this.#loadsAhead || req.labelSelector || req.fieldSelector) return false;
    const range = toKeyRange(req.key, req.rangeEnd);
    const names = range.end === null ? [this.#router.backendFor(range.start)] : this.#router.backendsFor(range);
    return names.every((n) => readsAsync(this.#drivers.get(n)!));
  }

  async #rangeAsync(req: RangeRequest): Promise<RangeResponse> {
    const linearizing = !req.serializable ? this.#sequencer?.linearizable() : undefined;
    if (linearizing && req.revision > 0 && req.revision <= this.#committed) {
      // A revision this replica already holds (a list's next page): its rows are read while the newest
      // revision is, since catching up cannot change them; only the header and a compaction can.
      const reading = applyRangeAsync(this.#readView(true), req);
      reading.catch(() => undefined);
      const { latest, compactRevision } = await linearizing;
      this.#linearizeTo(latest, compactRevision);
      if (req.revision < this.#compactRevision) throw Errors.compacted();
      return { ...(await reading), revision: this.#committed };
    }
    if (linearizing) {
      const { latest, compactRevision } = await linearizing;
      this.#linearizeTo(latest, compactRevision);
    }
    // Pinned: a batch may commit while the read is on its way, and the answer must not hold it.
    return applyRangeAsync(this.#readView(true), req);
  }

  /** A read-only Txn is answered on the read path; anything else is queued. */
  txn(req: TxnRequest): TxnResponse | Promise<TxnResponse> {
    if (isReadOnly(req)) {
      this.#linearize();
      return applyTxn(this.#readView(), req);
    }
    return this.#enqueue({ kind: 'txn', req }) as Promise<TxnResponse>;
  }

  put(req: PutRequest): Promise<PutResponse> {
    return this.#enqueue({ kind: 'put', req }) as Promise<PutResponse>;
  }

  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return this.#enqueue({ kind: 'deleteRange', req }) as Promise<DeleteRangeResponse>;
  }

  /**
   * Replicas: catches up with every revision committed anywhere (see
   * #linearize). A watch create calls it; while the database is unreachable
   * it stays at this replica's revision (nobody can commit without the
   * database), and the watch catches up with the rest once it is back.
   */
  sync(): void {
    try {
      this.#linearize();
    } catch (err) {
      this.#log.warn({ err }, 'cannot read the newest revision; watching from this replica’s revision');
    }
  }

  /** Every change with from <= revision <= to in the backends that may hold `range`, in order. */
  changes(range: KeyRange, from: number, to: number, withPrev: boolean): Change[] {
    const out: Change[] = [];
    const names = this.#router.backendsFor(range);
    for (const name of names) {
      const d = this.#drivers.get(name)!;
      const changes: Change[] = [];
      for (const row of d.changes(range, from, to)) {
        const kv = row.deleted ? deleteKv(row.kv.key, row.kv.modRevision) : row.kv;
        changes.push({ backend: name, type: row.deleted ? 'delete' : 'put', kv, prevKv: undefined, sub: row.sub });
      }
      // A create has no previous version; every other change's is read at once, for the whole window.
      const needPrev = withPrev
        ? changes.filter((c) => c.type === 'delete' || c.kv.createRevision !== c.kv.modRevision)
        : [];
      if (needPrev.length > 0) {
        const prevs = d.prevsOf(needPrev.map((c) => ({ key: c.kv.key, revision: c.kv.modRevision })));
        needPrev.forEach((c, i) => (c.prevKv = prevs[i]));
      }
      out.push(...changes);
    }
    if (names.length > 1) out.sort((a, b) => a.kv.modRevision - b.kv.modRevision || a.sub - b.sub);
    return out;
  }

  // --- leases ---

  leaseGrant(id: bigint, ttl: number): Promise<{ id: bigint; ttl: number }> {
    if (ttl > MAX_LEASE_TTL) return Promise.reject(Errors.leaseTtlTooLarge());
    return this.#enqueue({ kind: 'leaseGrant', id, ttl: Lessor.effectiveTtl(ttl) }) as Promise<{
      id: bigint;
      ttl: number;
    }>;
  }

  leaseRevoke(id: bigint): Promise<void> {
    return this.#enqueue({ kind: 'leaseRevoke', id }) as Promise<void>;
  }

  /**
   * etcd answers a keep-alive from applied, that is committed, state. A revoke applied in a batch that is still
   * committing may yet fail, and then the lease lives on: its keep-alive waits for that batch instead of
   * answering "not found" for a lease that is not gone.
   */
  leaseRenew(id: bigint): number | Promise<number> {
    const committing = this.#committing;
    if (committing && this.#revoking.has(id)) {
      const again = () => this.leaseRenew(id);
      return committing.then(again, again);
    }
    return this.#lessor.renew(id);
  }

  leaseTimeToLive(id: bigint, withKeys: boolean): LeaseInfo | undefined {
    const lease = this.#lessor.get(id);
    if (!lease) return undefined;
    return { id, ttl: this.#lessor.remaining(id), grantedTtl: lease.ttl, keys: withKeys ? this.#leaseKeys(id) : [] };
  }

  leases(): bigint[] {
    return this.#lessor.ids();
  }

  /** Revokes every lease whose time is up; called from a timer. */
  expireLeases(): void {
    for (const id of this.#lessor.expired()) {
      this.leaseRevoke(id).catch((err: unknown) => {
        if (!(err instanceof EtcdError)) this.#log.error({ err, lease: id.toString(16) }, 'lease expiry failed');
      });
    }
  }

  // --- compaction ---

  /**
   * Compacts history below `revision`. The new compact revision is durable
   * when this returns; the rows go in small steps in the background, and
   * `physical` waits for them.
   */
  async compact(revision: number, physical: boolean): Promise<void> {
    this.#linearize();
    if (revision <= this.#compactRevision) throw Errors.compacted();
    if (revision > this.#committed) throw Errors.futureRevision();
    // The committed revision, not #revision: a batch still committing may fail, and a floor that counted its
    // revisions would make the store skip them after a resync or a restart.
    this.#meta.setCompactRevision(revision, this.#committed);
    this.#compactRevision = revision;
    const step = this.#options.compactionBatch ?? 1000;
    const steps = this.#compacting.then(async () => {
      for (const d of this.#drivers.values()) {
        while (!this.#closed && (await d.compact(revision, step)) > 0) await new Promise((r) => setImmediate(r));
      }
    });
    // A backend that is down fails its steps; the compact revision is recorded, the rows go with the next
    // compaction. The chain itself must never reject: nothing else awaits it, and it would end the process.
    this.#compacting = steps.catch((err: unknown) =>
      this.#log.warn({ err }, 'compaction stopped early; the next compaction removes the rest'),
    );
    if (physical) await steps;
  }

  // --- topology ---

  /**
   * Re-reads the topology file. Like HariKube, only backends appended at the
   * end are accepted, and only if no key they would claim already lives in the
   * default backend: moving data between files is a migration, not a reload.
   */
  reloadTopology(): string[] {
    if (this.#sequencer) throw replicaReload();
    const file = this.#topology.file;
    if (!file) {
      throw new StoreError(
        'CNPAAS_STORE_TOPOLOGY_RELOAD',
        'the store was started without --topology',
        'restart it with --topology FILE',
      );
    }
    const next = loadTopology(file, this.#options.dataDir);
    const current = this.#topology.backends;
    for (const [i, b] of current.entries()) {
      if (!sameBackend(b, next.backends[i])) {
        throw new StoreError(
          'CNPAAS_STORE_TOPOLOGY_RELOAD',
          `${file}: backends[${i}] (${b.name}) was changed or removed`,
          'only append new backends at the end; restore the existing ones as they were',
        );
      }
    }
    const added = next.backends.slice(current.length);
    const router = new Router(next);
    // Backends appended at the end claim only keys no earlier route claims: those that were in the default one.
    const stranded = misplacedKeys({ drivers: this.#drivers, router, backends: [DEFAULT_BACKEND] });
    if (stranded.length > 0) {
      throw new StoreError(
        'CNPAAS_STORE_TOPOLOGY_RELOAD',
        `${file}: existing keys would move out of the default backend: ${describeMisplaced(stranded)}`,
        'route a resource before creating its objects; moving existing data is not supported yet',
      );
    }
    // All of them open before any joins the store: one that cannot open refuses the reload whole, and the
    // ones opened before it close again, or they would stay behind unrouted (and open twice on the next reload).
    const opened: Array<[string, BackendDriver]> = [];
    try {
      for (const b of added) opened.push([b.name, this.#options.opener.open(b, this.#openOptions())]);
    } catch (err) {
      for (const [name, d] of opened) {
        // A SQLite file closes at once, a network database's connections asynchronously.
        Promise.resolve()
          .then(() => d.close())
          .catch((closeErr: unknown) => this.#log.warn({ err: closeErr, backend: name }, 'closing a backend failed'));
      }
      throw err;
    }
    for (const [name, d] of opened) this.#drivers.set(name, d);
    this.#router = router;
    this.#topology = next;
    this.#pageCounts.clear();
    return added.map((b) => b.name);
  }

  /**
   * Refuses the topology the store was opened with if a stored key lives in
   * another backend than the one it routes that key to: a read would not find
   * it, and a write would create a second copy elsewhere. The store moves no
   * data between backends. `source` names the topology in the message.
   */
  checkPlacement(source: string): void {
    const found = misplacedKeys({ drivers: this.#drivers, router: this.#router });
    if (found.length === 0) return;
    throw new StoreError(
      'CNPAAS_STORE_TOPOLOGY_MOVES_KEYS',
      `${source} routes stored keys away from the backend that holds them: ${describeMisplaced(found)}`,
      'start with the topology those keys were written under; to move them, copy them to their new backend (e.g. etcdctl get/put) while the old topology serves, then switch',
    );
  }

  /**
   * Adopts `routing`, the encoded routing fingerprint of this store's topology,
   * for the data it holds (one store without --main-endpoint; replicas record
   * theirs in the main database). A routing that differs from the one
   * recorded at the last start is checked first (checkPlacement), then
   * recorded; a database the old routing used and this one drops is named
   * in a warning, since its keys are out of sight and cannot be checked
   * without opening it.
   */
  adoptRouting(routing: { encoded: string; source: string }): void {
    const recorded = this.#meta.recordedRouting?.();
    if (recorded === routing.encoded) return;
    this.#log.info({ topology: routing.source }, 'the routing changed since the last start: checking every stored key');
    this.checkPlacement(routing.source);
    const was = recorded === undefined ? undefined : decodeFingerprint(recorded);
    const is = decodeFingerprint(routing.encoded);
    for (const r of was?.routes ?? []) {
      if (is?.routes.some((n) => n.database === r.database)) continue;
      this.#log.warn(
        { backend: r.backend, database: r.database },
        `${routing.source} no longer uses the database of backend "${r.backend}": the keys it holds (${r.keys}) are no longer served; start with the previous topology to serve them`,
      );
    }
    this.#meta.recordRouting?.(routing.encoded);
  }

  #openOptions(): OpenOptions {
    const { fsync, walSizeLimitBytes, labelIndex } = this.#options;
    return {
      fsync,
      ...(walSizeLimitBytes === undefined ? {} : { walSizeLimitBytes }),
      ...(labelIndex ? { labelIndex } : {}),
    };
  }

  /** Every local database file, for the checkpointer. */
  filePaths(): string[] {
    return [...[...this.#drivers.values()].flatMap((d) => d.localFiles), ...this.#meta.localFiles];
  }

  // --- maintenance ---

  size(): { total: number; inUse: number } {
    let total = 0;
    let inUse = 0;
    for (const d of this.#drivers.values()) {
      const s = d.size();
      total += s.total;
      inUse += s.inUse;
    }
    return { total, inUse };
  }

  keyCounts(): Record<string, number> {
    return Object.fromEntries([...this.#drivers].map(([name, d]) => [name, d.keyCount()]));
  }

  /** Each backend's durability settings (SQLite: its pragmas), and meta.db's. */
  pragmas(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const name of this.#drivers.keys()) out[name] = this.settingsOf(name)!;
    out.meta = this.#meta.settings();
    return out;
  }

  /** One backend's settings (BackendDriver.settings), read from its database now; undefined for no such backend. */
  settingsOf(backend: string): Record<string, unknown> | undefined {
    return this.#drivers.get(backend)?.settings();
  }

  defragment(): void {
    for (const d of this.#drivers.values()) d.defragment();
    this.#meta.defragment();
  }

  /** crc32 over every live key at `revision` (0: current), in key order. */
  hashKv(revision: number): { hash: number; revision: number } {
    const rev = revision <= 0 ? this.#committed : revision;
    if (rev > this.#committed) throw Errors.futureRevision();
    if (rev < this.#compactRevision) throw Errors.compacted();
    const all = rangeRequest({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), revision: rev });
    let hash = 0;
    for (const kv of applyRange(this.#readView(), all).kvs) {
      const head = Buffer.alloc(24);
      head.writeBigInt64BE(BigInt(kv.createRevision), 0);
      head.writeBigInt64BE(BigInt(kv.modRevision), 8);
      head.writeBigInt64BE(BigInt(kv.version), 16);
      hash = crc32(kv.value, crc32(head, crc32(kv.key, hash)));
    }
    return { hash, revision: rev };
  }

  /** Finishes queued writes and compaction, then closes every file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#queue.length > 0 || this.#committing) {
      if (this.#committing) await this.#committing;
      else this.#flush();
    }
    this.#closed = true;
    clearInterval(this.#resyncTimer);
    this.#unfollow?.();
    await this.#compacting;
    for (const d of this.#drivers.values()) await d.close();
    this.#meta.close();
  }

  // --- the write path ---

  #enqueue(op: WriteOp): Promise<unknown> {
    if (this.#closed || this.#refusingWrites) return Promise.reject(Errors.stopped());
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // Writes that arrive while this tick runs join the same commit.
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#queue.length === 0 && !this.#resync) return;
    const sequencer = this.#sequencer;
    if (!sequencer && this.#resync) {
      // After a failed COMMIT nothing overlaps: the resync runs alone, then what queued behind it.
      if (this.#committing) return;
      this.#committing = this.#settle(
        Promise.resolve()
          .then(() => this.#resynced())
          .then(
            () => (this.#queue.length > 0 ? this.#runBatch(undefined, this.#queue.splice(0)) : undefined),
            (err: unknown) => this.#fail(this.#queue.splice(0), err, { stage: 'resync' }),
          ),
      );
      return;
    }
    // One batch at a time: the next one starts from the state this one commits. The exception: a batch that
    // writes only the file whose WAL the batch in flight is syncing may be applied and committed meanwhile.
    const overlapping = this.#committing ? this.#overlappable() : this.#queue.length;
    if (overlapping === 0) return;
    if (!sequencer) {
      const items = this.#queue.splice(0, overlapping);
      // A batch applied on top of one still syncing writes one SQLite file: nothing to load ahead.
      const loading = this.#committing ? undefined : this.#prefetch(items);
      const committing = loading
        ? loading.then(
            () => this.#runBatch(undefined, items),
            (err: unknown) => this.#fail(items, err),
          )
        : this.#runBatch(this.#committing, items);
      if (committing) this.#committing = this.#settle(committing);
      return;
    }
    this.#committing = this.#settle(this.#lockedBatch(sequencer));
  }

  /**
   * Replicas: take the shared lock first (without blocking the event loop),
   * complete what a dead replica logged and did not commit everywhere, then
   * deliver whatever other processes committed before the lock, then apply
   * this batch against the database's current state and commit it holding
   * the lock.
   */
  async #lockedBatch(sequencer: RevisionSequencer): Promise<void> {
    if (await this.#optimisticBatch(sequencer)) return;
    let latest: number;
    try {
      let locked = await sequencer.lock(this.#readAhead());
      while (locked.logged.length > 0) {
        const completed = await completeLogged({
          logged: locked.logged,
          drivers: this.#drivers,
          sequencer,
          log: this.#log,
        });
        // Delivered like another replica's commit: read back from the databases, with prev_kv.
        this.#catchUp(completed);
        locked = await sequencer.lock(this.#readAhead());
      }
      latest = locked.latest;
    } catch (err) {
      this.#fail(this.#queue.splice(0), err);
      return;
    }
    if (!this.#caughtUpTo(latest, (err) => this.#fail(this.#queue.splice(0), err))) return;
    // Taken now: requests that arrive while the batch's reads load wait for the next batch.
    const items = this.#queue.splice(0);
    try {
      await this.#prefetch(items);
    } catch (err) {
      this.#fail(items, err);
      return;
    }
    await this.#runBatch(undefined, items);
  }

  /**
   * Replicas: the queued writes as one optimistic batch, if they can be
   * (docs/replicas.md, "A lone write"): applied without the lock, against
   * what this process knows as of its last committed revision, then sent
   * with the lock and a guard in one message, where a batch under the lock
   * costs two round trips. Only writes of single keys of the main backend,
   * with nothing the main backend's driver would have to read first.
   * Resolves true once the writes are answered (committed, or failed as a
   * batch under the lock fails at its COMMIT); false when they must go
   * under the lock instead, with nothing of them applied or written, and
   * back at the front of the queue.
   */
  async #optimisticBatch(sequencer: RevisionSequencer): Promise<boolean> {
    const main = this.#drivers.get(DEFAULT_BACKEND)!;
    if (this.#options.optimistic === false) return false;
    if (!main.speculate || !main.commitOptimistic || !sequencer.optimisticGuard) return false;
    if (this.#revision !== this.#committed || !this.#optimism.ready()) return false;
    const guard = sequencer.optimisticGuard(this.#committed);
    if (!guard) return false;
    const presumed: Buffer[] = [];
    for (const { op } of this.#queue) {
      const touched = singleKeys(op);
      if (!touched?.keys.every((key) => this.#router.backendFor(key) === DEFAULT_BACKEND)) return false;
      presumed.push(...touched.presumed);
    }
    const items = this.#queue.splice(0);
    const batch: Batch = { revisions: [], before: this.#revision, after: this.#revision };
    const back = (): false => {
      this.#revision = batch.before;
      this.#queue.unshift(...items);
      return false;
    };
    let results: BatchResults;
    main.speculate({ expected: this.#committed, presumed });
    try {
      results = this.#applyAll(items, batch);
    } catch {
      // LockRequired, or anything else: under the lock the batch is applied again, and meets a real error there.
      main.abandonSpeculation!();
      return back();
    }
    if (!main.inTransaction) {
      // Nothing to write (compares that failed): the lock's path reads and answers them.
      main.abandonSpeculation!();
      return back();
    }
    try {
      await main.commitOptimistic({ lastRevision: this.#revision, guard });
    } catch (err) {
      if (err instanceof GuardRefused) {
        this.stats.refused++;
        this.#optimism.refused();
        return back();
      }
      this.#fail(items, err, { stage: 'commit' });
      return true;
    }
    this.stats.optimistic++;
    this.stats.fsyncs++;
    this.#optimism.committed();
    this.#finish(items, results, batch);
    return true;
  }

  /** The keys the queued requests will read, for the lock to load from the main backend as it is taken. */
  #readAhead(): ReadAhead | undefined {
    if (!this.#loadsAhead) return undefined;
    return keysByBackend({ ops: this.#queue.map((i) => i.op), drivers: this.#drivers, router: this.#router });
  }

  /**
   * Loads the rows `items` will read, from the backends that load ahead
   * (network databases): one round trip each that leaves the event loop
   * free, instead of one blocking round trip per read. Undefined when no
   * such backend is read.
   */
  #prefetch(items: readonly Pending[]): Promise<void> | undefined {
    if (!this.#loadsAhead) return undefined;
    return prefetchBatch({ ops: items.map((i) => i.op), drivers: this.#drivers, router: this.#router });
  }

  /**
   * Applies and commits what is queued; returns a promise only if a driver's commit is asynchronous, or if the
   * batch overlaps `previous` (a batch still syncing): then it is answered only after that one, and only if that
   * one became durable, since it was applied on top of it.
   */
  #runBatch(previous: Promise<void> | undefined, items: Pending[]): Promise<void> | undefined {
    const batch: Batch = { revisions: [], before: this.#revision, after: this.#revision };
    let results: BatchResults;
    try {
      results = this.#applyAll(items, batch);
    } catch (err) {
      this.#fail(items, err, previous ? { revertTo: batch.before } : {});
      return undefined;
    } finally {
      if (this.#loadsAhead) for (const d of this.#drivers.values()) d.endBatch?.();
    }
    let committing: Promise<void> | undefined;
    try {
      // A lone request with nothing in flight: no other request would use the event loop during its sync.
      committing = this.#commit(batch, items.length === 1 && !previous && this.#inFlight === 0);
    } catch (err) {
      // A batch overlapping a sync wrote one SQLite file and nothing else, so its failed COMMIT left nothing of
      // it: back to its start. Otherwise some files of the batch may have committed before this one failed (the
      // revision log first): the store resyncs from the log and the databases before the next write.
      this.#fail(items, err, previous ? { revertTo: batch.before } : { stage: 'commit' });
      return undefined;
    }
    const durable = previous ? afterBoth(previous, committing) : committing;
    if (durable) {
      // An asynchronous driver (or a WAL sync): answer and notify once it is durable;
      // writes arriving meanwhile queue up for the next batch.
      return durable.then(
        () => {
          if (previous && this.#refusingWrites) this.#failSync(items, syncLost());
          else this.#finish(items, results, batch);
        },
        (err: unknown) => this.#fail(items, err, { stage: 'commit' }),
      );
    }
    this.#finish(items, results, batch);
    return undefined;
  }

  /** Applies each request in order: its answer, or the error that refuses it alone. Throws what fails the batch. */
  #applyAll(items: readonly Pending[], batch: Batch): BatchResults {
    const results: BatchResults = [];
    for (const item of items) {
      try {
        results.push({ ok: this.#apply(item.op, batch) });
      } catch (err) {
        // An unreachable backend fails the batch, not the request: the request may have written
        // to another backend already, and that part must not be committed without the rest.
        if (!(err instanceof EtcdError) || err instanceof BackendUnavailableError) throw err;
        results.push({ err });
      }
    }
    batch.after = this.#revision;
    return results;
  }

  /**
   * How many of the queued requests, from the front, may be applied while
   * the batch in flight syncs (0: none, wait for it): only behind a single
   * batch, on one store process (not replicas), when that batch committed one
   * backend file and nothing else, and only requests that can write nothing
   * but that file. Within one SQLite file a crash keeps a prefix of its WAL,
   * so the overlapping batch can never outlive the one it was applied on top
   * of; across files it could, so anything that may touch another file,
   * meta.db (leases, cross-file writes) included, waits as before.
   */
  #overlappable(): number {
    const file = this.#syncingFile;
    if (file === undefined || this.#inFlight !== 1 || this.#sequencer || this.#refusingWrites || this.#resync) return 0;
    const only = (range: KeyRange) =>
      (range.end === null ? [this.#router.backendFor(range.start)] : this.#router.backendsFor(range)).every(
        (name) => name === file,
      );
    const writesOnlyFile = ({ op }: Pending): boolean => {
      switch (op.kind) {
        case 'put':
          return this.#router.backendFor(op.req.key) === file;
        case 'deleteRange':
          return only(toKeyRange(op.req.key, op.req.rangeEnd));
        case 'txn':
          return txnWritesOnly(op.req, only);
        default:
          return false;
      }
    };
    const first = this.#queue.findIndex((item) => !writesOnlyFile(item));
    return first < 0 ? this.#queue.length : first;
  }

  /** Catches up to `latest`; whether it could, `failed` hearing why not. */
  #caughtUpTo(latest: number, failed: (err: unknown) => void): boolean {
    try {
      this.#catchUp(latest);
      return true;
    } catch (err) {
      failed(err);
      return false;
    }
  }

  /**
   * Replicas: delivers the revisions other processes committed after
   * `#committed` up to `latest`, in revision order, to the commit listeners
   * (the watch hub), and moves this process's revision to `latest`. Every
   * revision up to `latest` is committed (the lock orders commits), so the
   * window read here has no holes and nothing in it changes later.
   */
  #catchUp(latest: number): void {
    if (latest <= this.#committed) return;
    // Read before the rows: a compaction past the first revision this replica has not
    // delivered may have removed some of them (a replica that lagged, e.g. cut off).
    const from = this.#committed + 1;
    const compact = Math.max(this.#compactRevision, this.#meta.compactRevision());
    const all = { start: Buffer.from([0]), end: Buffer.alloc(0) };
    const revisions: Revision[] = [];
    for (const c of this.changes(all, from, latest, true)) {
      const last = revisions.at(-1);
      if (last?.revision === c.kv.modRevision) last.changes.push(c);
      else revisions.push({ revision: c.kv.modRevision, changes: [c] });
    }
    // Read before the revision moves: whatever can fail (the database going away now) must fail while
    // nothing has changed. Moved first and failing here, the window would count as delivered, and the
    // next catch-up would start after it: its revisions lost to every watcher of this replica.
    const compactNow = Math.max(compact, this.#meta.compactRevision());
    this.#revision = latest;
    this.#committed = latest;
    this.#compactRevision = compactNow;
    // Watchers that still need a revision below it can no longer get every event: like
    // etcd's, they are told they were compacted (before anything newer reaches them).
    if (compact > from) for (const l of this.#compactedAhead) l(compact);
    if (revisions.length > 0) for (const l of this.#listeners) l(revisions);
  }

  /**
   * Replicas: a woken or polling follower reads the newest revision without
   * the lock and catches up to it. It runs as the in-flight step, so no batch
   * of this process interleaves with it. A wake-up that finds a step in
   * flight is kept for when it settles: that step may be a follow that read
   * the revision before the commit that woke this one, or an optimistic
   * batch, which does not catch up; dropped, the commit would reach this
   * replica's watchers only at the next poll.
   */
  #follow(): void {
    const sequencer = this.#sequencer;
    if (!sequencer || this.#closed) return;
    if (this.#committing || this.#queue.length > 0) {
      this.#followPending = true;
      return;
    }
    this.#followPending = false;
    this.#committing = this.#settle(
      sequencer.latest().then(
        (latest) => {
          this.#caughtUpTo(latest, (err) =>
            this.#log.warn({ err }, "reading other replicas' commits failed; retrying"),
          );
        },
        (err: unknown) => this.#log.warn({ err }, 'reading the newest revision failed; retrying'),
      ),
    );
  }

  /**
   * Replicas: a linearizable read first catches up with the database, so it
   * sees every write any replica acknowledged before it began (one round trip).
   * While this process's own batch is committing, no other process can have
   * committed since its lock was taken: the revisions past `#committed` are
   * then its own, not yet acknowledged, and the read answers without them.
   */
  #linearize(): void {
    if (!this.#sequencer || this.#revision !== this.#committed) return;
    this.#linearizeTo(this.#sequencer.latestNow(), this.#meta.compactRevision());
  }

  /**
   * #linearize with the newest revision and compact revision read without
   * blocking. If this process's own batch took the lock meanwhile, nobody
   * else can have committed since it caught up, and there is nothing to do.
   */
  #linearizeTo(latest: number, compactRevision: number): void {
    if (this.#revision !== this.#committed) return;
    this.#catchUp(latest);
    // A Compact on another replica takes no revision, so the catch-up may have had nothing to
    // read: without this a read below the new compact revision was answered, from rows that
    // compaction is deleting, instead of failing as compacted.
    this.#compactRevision = Math.max(this.#compactRevision, compactRevision);
  }

  /** Clears the in-flight commit when the last one settles, then runs what queued behind it. */
  #settle(committing: Promise<void>): Promise<void> {
    this.#inFlight++;
    return committing.finally(() => {
      if (--this.#inFlight === 0) {
        this.#committing = undefined;
        this.#syncingFile = undefined;
      }
      if (this.#queue.length > 0 && !this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      } else if (this.#followPending) this.#follow();
    });
  }

  #finish(items: Pending[], results: BatchResults, batch: Batch): void {
    this.#settledRevokes(items);
    // Batches finish in order, so everything up to this batch is now durable (a batch overlapping it may not be).
    this.#committed = batch.after;
    this.stats.batches++;
    this.stats.writes += items.length;
    items.forEach((item, i) => {
      const r = results[i]!;
      if ('ok' in r) item.resolve(r.ok);
      else item.reject(r.err);
    });
    if (batch.revisions.length > 0) for (const l of this.#listeners) l(batch.revisions);
  }

  /**
   * Applies one request inside the batch. Only a txn with an ignore_value or
   * ignore_lease put can fail after it has written (the put finds its key
   * deleted earlier in the same txn); such a request runs under a savepoint,
   * so its writes are undone while the batch's other requests keep theirs.
   */
  #apply(op: WriteOp, batch: Batch): unknown {
    if (op.kind !== 'txn' || !mayFailPartWay(op.req)) return this.#applyOne(op, batch);
    const files: Array<BackendDriver | MetaBackend> = [...this.#drivers.values(), this.#meta];
    const open = files.filter((f) => f.inTransaction);
    for (const f of open) f.savepoint();
    try {
      const result = this.#applyOne(op, batch);
      for (const f of open) f.releaseSavepoint();
      return result;
    } catch (err) {
      if (err instanceof EtcdError && !(err instanceof BackendUnavailableError)) {
        for (const f of files) {
          if (open.includes(f)) f.rollbackToSavepoint();
          else f.rollback();
        }
      }
      throw err;
    }
  }

  #applyOne(op: WriteOp, batch: Batch): unknown {
    const changes: Change[] = [];
    const view = this.#view(changes, this.#revision);
    let result: unknown;
    switch (op.kind) {
      case 'put':
        result = applyStandalonePut(view, op.req);
        break;
      case 'deleteRange':
        result = applyDeleteRange(view, op.req);
        break;
      case 'txn':
        result = applyTxn(view, op.req);
        break;
      case 'leaseGrant': {
        const id = op.id === 0n ? this.#newLeaseId() : op.id;
        if (this.#lessor.has(id)) throw Errors.leaseExists();
        // Checked as the grant is applied, so grants batched together cannot overshoot.
        const max = this.#options.maxLeases;
        if (max !== undefined && this.#lessor.size >= max) throw LimitErrors.tooManyLeases(max);
        this.#meta.putLease(id, op.ttl);
        this.#lessor.add(id, op.ttl);
        result = { id, ttl: op.ttl };
        break;
      }
      case 'leaseRevoke': {
        if (!this.#lessor.has(op.id)) throw Errors.leaseNotFound();
        // etcd deletes a lease's keys in key order, all in one revision.
        for (const key of this.#leaseKeys(op.id)) view.deleteRange({ start: key, end: null });
        this.#meta.deleteLease(op.id);
        this.#lessor.delete(op.id);
        this.#revoking.add(op.id);
        break;
      }
    }
    if (changes.length > 0) {
      this.#revision++;
      batch.revisions.push({ revision: this.#revision, changes });
    }
    if (op.kind === 'leaseRevoke') result = { revision: this.#revision };
    return result;
  }

  /** Commits every file the batch touched; returns a promise only if a driver's commit is asynchronous. */
  #commit(batch: Batch, alone = false): Promise<void> | undefined {
    if (this.#sequencer) return this.#commitReplica(batch, this.#sequencer);
    const touched = [...this.#drivers.values()].filter((d) => d.inTransaction);
    const files = touched.length + (this.#meta.inTransaction ? 1 : 0);
    if (files > 1 && batch.revisions.length > 0) {
      // Spanning files: the revision log in meta.db commits first and is the
      // durability point; start-up re-applies what a backend file lacks.
      this.#meta.log(batch.revisions.map(toLogged), batch.revisions[0]!.revision - 1);
    }
    const metaTouched = this.#meta.inTransaction;
    if (metaTouched) {
      this.#meta.commit();
      this.stats.fsyncs++;
    }
    const pending: Array<Promise<void>> = [];
    try {
      for (const d of touched) {
        const committed = d.commit(this.#revision, alone && touched.length === 1);
        if (committed instanceof Promise) pending.push(committed);
        this.stats.fsyncs++;
      }
      // What a next batch may overlap (#overlappable): one file's sync and nothing else. A batch that wrote nothing
      // leaves it as it was.
      if (touched.length > 0 || metaTouched) {
        // Only a driver whose commit is done when it returns (SQLite); a network COMMIT in flight is not.
        const only = touched.length === 1 && !metaTouched ? touched[0]! : undefined;
        const name = only?.syncsAfterCommit === true ? this.#nameOf(only) : undefined;
        this.#syncingFile =
          pending.length === 1 && (this.#inFlight === 0 || name === this.#syncingFile) ? name : undefined;
      }
    } catch (err) {
      // A later file's COMMIT failed after earlier ones returned their sync: the batch fails here, and those
      // syncs must not become unhandled rejections (a failed one also fails that file's next sync).
      for (const p of pending) p.catch(() => undefined);
      if (pending.length > 0) this.#abandonedSyncs = Promise.allSettled(pending);
      throw err;
    }
    return pending.length > 0 ? Promise.all(pending).then(() => undefined) : undefined;
  }

  /**
   * Replicas: the routed databases commit after the revision log and before
   * the main database, whose COMMIT releases the lock (replica-commit.ts).
   */
  #commitReplica(batch: Batch, sequencer: RevisionSequencer): Promise<void> {
    const main = this.#drivers.get(DEFAULT_BACKEND)!;
    const routed = [...this.#drivers.values()].filter((d) => d !== main && d.inTransaction);
    this.#syncingFile = undefined;
    if (batch.revisions.length === 0 && routed.length === 0 && main.release && main.unchanged?.()) {
      // Compares that failed, reads: no revision to record, so no durable COMMIT and no notice to wake the
      // other replicas for nothing; the ROLLBACK gives the lock back. The meta kept nothing to redo.
      return main.release(this.#revision).then(() => this.#meta.commit());
    }
    this.stats.fsyncs += 1 + routed.length;
    return commitInOrder({
      main,
      routed,
      meta: this.#meta,
      sequencer,
      revisions: batch.revisions.map(toLogged),
      lastRevision: this.#revision,
    });
  }

  /** The revokes among `items` have committed or failed: keep-alives for their leases answer again. */
  #settledRevokes(items: readonly Pending[]): void {
    for (const { op } of items) if (op.kind === 'leaseRevoke') this.#revoking.delete(op.id);
  }

  /**
   * A failed batch leaves nothing half-applied: roll back, go back to the
   * committed state, refuse the batch. `stage` says where it failed:
   * applying its rows (nothing of it was committed), a COMMIT (outcome
   * unknown: resynced from the databases), or that resync. A batch that
   * overlapped one still syncing goes back to `revertTo`, its own start: a
   * resync would count that one as durable. A lost WAL sync is not a failed
   * batch but a store that can no longer promise durability (#failSync).
   */
  #fail(
    items: Pending[],
    err: unknown,
    options: { stage?: 'rows' | 'commit' | 'resync'; revertTo?: number } = {},
  ): void {
    this.#settledRevokes(items);
    if (err instanceof StoreError && err.code === 'CNPAAS_STORE_FSYNC_FAILED') {
      this.#failSync(items, err);
      return;
    }
    const stage = options.stage ?? 'rows';
    // A resync retried by its timer while a backend stays away has no requests: one line per outage is
    // enough (the failed batch that started it), not one every retry.
    if (stage !== 'resync' || items.length > 0) this.#log.error({ err }, 'write batch failed; rolled back');
    for (const d of this.#drivers.values()) d.rollback();
    this.#meta.rollback();
    // Replicas must not jump to the database's revision here: the revisions in
    // between would never reach the watchers. Undo this batch's and let the
    // next lock or poll catch up.
    if (this.#sequencer) this.#revision = this.#committed;
    else if (options.revertTo !== undefined) this.#revision = options.revertTo;
    else if (stage !== 'rows') {
      this.#startResync();
      // Grants and revokes changed the lease table as the batch was applied, and leases are read and renewed
      // before the resync runs: back to what meta.db holds now (its COMMIT may have failed).
      this.#reloadLeases();
    } else {
      // Nothing of this batch was committed (its rows failed before any COMMIT, and none was in flight), so
      // `#committed` is exact: no need to ask the backends, which would block on one that is unreachable. Undone:
      // the batch's revisions and the leases it granted or revoked. (Page counts are only kept by reads at
      // `#committed`, never inside a batch, so none is at a revision of this one.)
      this.#revision = this.#committed;
      this.#reloadLeases();
    }
    const full = (err as { code?: string }).code === 'SQLITE_FULL';
    for (const item of items) {
      if (full) item.reject(Errors.noSpace());
      else if (err instanceof EtcdError) item.reject(err);
      else item.reject(new EtcdError(14, `etcdserver: ${(err as Error).message}`));
    }
  }

  /** Writes wait for #resynced; a timer retries it while no write comes, so reads catch up too. */
  #startResync(): void {
    this.#revision = this.#committed;
    this.#resync = true;
    this.#resyncTimer ??= setInterval(() => {
      if (!this.#flushScheduled) this.#flush();
    }, RESYNC_RETRY_MS);
    this.#resyncTimer.unref();
  }

  /**
   * After a failed asynchronous COMMIT: re-applies the revision log (a batch
   * that spanned backends is completed in every one of them), then moves to
   * the newest revision the databases hold and delivers the revisions past
   * `#committed` to the watchers (a COMMIT whose answer was lost may have
   * landed), so they see no gap and the next batch takes no revision twice.
   * Throws (UNAVAILABLE) while a backend is still down.
   */
  #resynced(): Promise<void> | undefined {
    const syncs = this.#abandonedSyncs;
    if (syncs) {
      this.#abandonedSyncs = undefined;
      return syncs.then((settled) => {
        const lost = settled.find((r) => r.status === 'rejected');
        if (lost) throw lost.reason;
        return this.#resynced();
      });
    }
    const caughtUp = (): void => {
      const latest = Math.max(
        1,
        this.#meta.revisionFloor(),
        ...[...this.#drivers.values()].map((d) => d.lastRevision()),
      );
      this.#catchUp(latest);
      this.#revision = this.#committed;
      this.#compactRevision = Math.max(this.#compactRevision, this.#meta.compactRevision());
      this.#loadLeases();
      this.#resync = false;
      clearInterval(this.#resyncTimer);
      this.#resyncTimer = undefined;
      this.#log.info({ revision: this.#committed }, 'backends reachable again; writes resume');
    };
    const recovering = this.#recover();
    if (recovering) return recovering.then(caughtUp);
    caughtUp();
    return undefined;
  }

  /**
   * A file committed the batch but could not make it durable. Its rows are in
   * the file and cannot be rolled back, nor acknowledged: reads stay pinned
   * to the last durable revision, and the store takes no more writes (a later
   * sync could succeed without the lost pages). A restart starts from disk.
   */
  #failSync(items: Pending[], err: StoreError): void {
    this.#settledRevokes(items);
    this.#log.error({ err }, 'a commit could not be made durable; refusing writes until restarted');
    this.#refusingWrites = true;
    // No resync either: it would report what the files hold, and that may not be durable.
    this.#resync = false;
    clearInterval(this.#resyncTimer);
    this.#resyncTimer = undefined;
    // Nothing is open after a COMMIT; this only ends a transaction some other path may have left.
    for (const d of this.#drivers.values()) d.rollback();
    this.#meta.rollback();
    for (const item of [...items, ...this.#queue.splice(0)])
      item.reject(new EtcdError(14, `etcdserver: ${err.message}`));
  }

  /** Whether some backend loads a batch's reads ahead (BackendDriver.prefetch): a network database. */
  get #loadsAhead(): boolean {
    for (const d of this.#drivers.values()) if (d.prefetch) return true;
    return false;
  }

  #nameOf(driver: BackendDriver): string | undefined {
    for (const [name, d] of this.#drivers) if (d === driver) return name;
    return undefined;
  }

  #view(changes: Change[], begin: number): TxnView {
    return writeView({
      begin,
      compactRevision: this.#compactRevision,
      changes,
      drivers: this.#drivers,
      router: this.#router,
      leaseExists: (id) => this.#lessor.has(id),
    });
  }

  /**
   * What a read outside a batch sees. It reads at `#committed` explicitly
   * whenever the databases may hold newer rows: replicas always (another
   * process may have committed since), and anyone while a batch's commit is
   * in flight (a SQLite file's rows are visible to its connection from
   * COMMIT on, before its WAL sync makes them durable). A response never
   * holds a row newer than its header's revision, nor one that could be lost.
   */
  #readView(pinned = false): TxnView {
    return writeView({
      begin: this.#committed,
      compactRevision: this.#compactRevision,
      changes: [],
      drivers: this.#drivers,
      router: this.#router,
      leaseExists: (id) => this.#lessor.has(id),
      // While a resync is pending, a batch over several backends may be committed in some of them:
      // reads at `#committed` do not see that revision until the resync completes it everywhere.
      pinned: pinned || this.#sequencer !== undefined || this.#revision !== this.#committed || this.#resync,
      pageCounts: this.#pageCounts,
    });
  }

  #leaseKeys(id: bigint): Buffer[] {
    const keys = [...this.#drivers.values()].flatMap((d) => d.keysWithLease(id));
    return keys.sort((a, b) => Buffer.compare(a, b));
  }

  #newLeaseId(): bigint {
    // Positive and below 2^53, so clients that parse IDs as doubles stay exact.
    for (;;) {
      const id = BigInt(Math.floor(Math.random() * Number.MAX_SAFE_INTEGER)) + 1n;
      if (!this.#lessor.has(id)) return id;
    }
  }

  /** Re-applies logged revisions that a backend file did not commit before a crash. */
  #recover(): Promise<void> | undefined {
    return recoverLoggedRevisions(this.#meta, this.#drivers, this.#log);
  }

  /** (Re)reads the store's state from disk: revision, compact revision, leases. */
  #load(): void {
    // Replicas: a routed database may hold a revision the main database has not committed (a replica died in
    // between, or is committing now); only the main database's `last_revision` is committed everywhere.
    const last = this.#sequencer
      ? Math.max(1, this.#drivers.get(DEFAULT_BACKEND)!.lastRevision())
      : Math.max(1, this.#meta.revisionFloor(), ...[...this.#drivers.values()].map((d) => d.lastRevision()));
    this.#revision = last;
    this.#committed = last;
    this.#compactRevision = this.#meta.compactRevision();
    this.#pageCounts.clear();
    this.#loadLeases();
  }

  /**
   * The lease table back to what meta.db holds, after a failed batch. Never throws: the batch's requests are
   * answered after it (thrown, they would never be). If meta.db cannot be read either, the resync reloads
   * the leases once it can.
   */
  #reloadLeases(): void {
    try {
      this.#loadLeases();
    } catch (err) {
      this.#log.warn({ err }, 'cannot re-read the leases after a failed batch; the resync will');
      this.#startResync();
    }
  }

  #loadLeases(): void {
    // Read first: a read that fails leaves the table as it was, not empty.
    const leases = this.#meta.leases();
    this.#lessor.clear();
    for (const l of leases) this.#lessor.add(l.id, l.ttl);
  }

  /** The network backends that cannot be reached now, each with why (the readiness check). */
  async unreachableBackends(): Promise<Array<{ backend: string; location: string; reason: string }>> {
    const checks = [...this.#drivers].map(async ([backend, d]) => {
      const reason = await d.unreachable?.();
      return reason === undefined ? undefined : { backend, location: d.location, reason };
    });
    return (await Promise.all(checks)).filter((c) => c !== undefined);
  }
}

/** How often a store whose COMMIT failed looks whether its backends are back, while no write comes. */
const RESYNC_RETRY_MS = 500;

/** Replicas on different hosts cannot share a file: each would write a SQLite file of its own. */
function replicaLocalBackend(b: BackendConfig): StoreError {
  return new StoreError(
    'CNPAAS_STORE_REPLICA_TOPOLOGY',
    `--main-endpoint is set (replicas share their databases) and the topology's backend "${b.name}" is a SQLite file (${b.display}), which replicas on other hosts cannot share`,
    `put backend "${b.name}" in PostgreSQL, MySQL or MariaDB (a postgres:// or mysql:// endpoint), or run one store without --main-endpoint to keep it in a SQLite file`,
  );
}

/** Every replica must route alike, and one replica's reload would change its routing alone. */
function replicaReload(): StoreError {
  return new StoreError(
    'CNPAAS_STORE_REPLICA_TOPOLOGY',
    'the topology of a replica (--main-endpoint) cannot be reloaded: the other replicas would keep routing keys the old way',
    'change the topology file of every replica, then restart the replicas',
  );
}

/** Resolves when both have settled, rejecting with `committing`'s error; `previous` never rejects (#settle). */
function afterBoth(previous: Promise<void>, committing: Promise<void> | undefined): Promise<void> {
  return Promise.allSettled([previous, committing]).then(([, c]) => {
    if (c.status === 'rejected') throw c.reason;
  });
}

/** The error an overlapping batch gets when the batch under it could not be made durable. */
function syncLost(): StoreError {
  return new StoreError(
    'CNPAAS_STORE_FSYNC_FAILED',
    'the batch this one was applied on top of could not be made durable',
    'check the disk and the file system under the data dir, then restart the store',
  );
}

/** True when every write in the txn, on either branch and in nested txns, lands in ranges `only` accepts. */
function txnWritesOnly(txn: TxnRequest, only: (range: KeyRange) => boolean): boolean {
  return [...txn.success, ...txn.failure].every((op) => {
    if ('put' in op) return only({ start: op.put.key, end: null });
    if ('deleteRange' in op) return only(toKeyRange(op.deleteRange.key, op.deleteRange.rangeEnd));
    if ('txn' in op) return txnWritesOnly(op.txn, only);
    return true;
  });
}

function mayFailPartWay(txn: TxnRequest): boolean {
  return [...txn.success, ...txn.failure].some((op) =>
    'put' in op ? op.put.ignoreValue || op.put.ignoreLease : 'txn' in op && mayFailPartWay(op.txn),
  );
}

function sameBackend(a: BackendConfig, b: BackendConfig | undefined): boolean {
  return (
    !!b &&
    a.name === b.name &&
    a.scheme === b.scheme &&
    a.location === b.location &&
    isDeepStrictEqual(a.matcher, b.matcher)
  );
}

function toLogged(r: Revision): { revision: number; changes: LoggedChange[] } {
  return {
    revision: r.revision,
    changes: r.changes.map((c) => ({
      backend: c.backend,
      type: c.type,
      key: c.kv.key,
      sub: c.sub,
      createRevision: c.kv.createRevision,
      version: c.kv.version,
      lease: c.kv.lease,
      value: c.kv.value,
    })),
  };
}
