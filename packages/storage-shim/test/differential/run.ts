/**
 * Drives one generated operation against one server and records the
 * normalised outcome. A `Session` is one server as the differential sees it:
 * its raw gRPC clients, its lease-ID bijection, and one watch stream carrying
 * every watcher of the run.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { call, connect, type EtcdClient } from '../support/client.js';
import { isGenerated, type LeaseRef, type Op, type RequestOp, type TxnReq, type WatchCreateReq } from './generator.js';
import {
  compactResponse,
  deleteRangeResponse,
  errorOutcome,
  event,
  leaseGrantResponse,
  leaseKeepAliveResponse,
  leaseLeasesResponse,
  leaseRevokeResponse,
  leaseTimeToLiveResponse,
  putResponse,
  rangeResponse,
  txnResponse,
  watchStatus,
  type LeaseNamer,
  type NEvent,
  type NWatchStatus,
  type Outcome,
} from './normalize.js';

/** How long a single RPC, a watch handshake or a sync barrier may take before the harness gives up. */
const STEP_TIMEOUT_MS = 10_000;
/** A lease ID no test grants: what a generated lease resolves to on a server that never granted it. */
const NEVER_GRANTED = '4243';

/**
 * The lease-ID bijection of one server: generated leases (`g<n>`) map to the
 * ID this server chose; explicit IDs map to themselves.
 */
export class LeaseBook implements LeaseNamer {
  private readonly idByRef = new Map<LeaseRef, string>();
  private readonly refById = new Map<string, LeaseRef>();

  bind(ref: LeaseRef, id: string): void {
    this.idByRef.set(ref, id);
    this.refById.set(id, ref);
  }

  resolve(ref: LeaseRef): string {
    return isGenerated(ref) ? (this.idByRef.get(ref) ?? NEVER_GRANTED) : ref;
  }

  name(id: string): string {
    return this.refById.get(id) ?? id;
  }
}

export interface WatcherRecord {
  label: string;
  request: WatchCreateReq;
  atCompactRevision: boolean;
  watchId: string | null;
  created: NWatchStatus | null;
  canceled: NWatchStatus | null;
  events: NEvent[];
  /** Highest revision of a progress notification for this watcher. */
  progressRevision: number;
}

/** Every watcher of a run on one bidi stream, as kube-apiserver multiplexes them. */
export class WatchStream {
  readonly watchers = new Map<string, WatcherRecord>();
  /** Event or cancel responses for a watch ID no live watcher has: always a bug. */
  readonly unattributed: unknown[] = [];
  private readonly stream: ClientDuplexStream<unknown, any>;
  private readonly pendingCreates: WatcherRecord[] = [];
  private readonly listeners = new Set<() => void>();
  private failure: Error | null = null;

  constructor(
    client: EtcdClient,
    private readonly leases: LeaseNamer,
  ) {
    this.stream = (client.watch as any).Watch();
    this.stream.on('data', (raw: Record<string, any>) => this.onResponse(raw));
    this.stream.on('error', (err: Error) => {
      this.failure = err;
      this.notify();
    });
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private live(id: string): WatcherRecord | undefined {
    for (const w of this.watchers.values()) if (w.watchId === id && w.created && !w.canceled) return w;
    return undefined;
  }

  private onResponse(raw: Record<string, any>): void {
    const id = String(raw.watch_id ?? '0');
    const events = (raw.events ?? []) as Array<Record<string, any>>;
    if (raw.created) {
      // Creates are answered in order, one Created each (as etcd does), so the
      // response belongs to the oldest create still waiting, whatever its ID.
      const w = this.pendingCreates.shift();
      if (!w) this.unattributed.push({ unexpectedCreated: watchStatus(raw) });
      else {
        w.created = watchStatus(raw);
        w.watchId = id;
        if (raw.canceled) w.canceled = w.created;
      }
    } else {
      const w = this.live(id);
      if (!w) {
        if (events.length > 0 || raw.canceled)
          this.unattributed.push({ ...watchStatus(raw), events: events.map((e) => event(e, this.leases)) });
      } else {
        for (const e of events) w.events.push(event(e, this.leases));
        if (raw.canceled) w.canceled = watchStatus(raw);
        else if (events.length === 0)
          w.progressRevision = Math.max(w.progressRevision, Number(raw.header?.revision ?? 0));
      }
    }
    this.notify();
  }

  /** Resolves once `done()` holds, re-checked on every response. */
  private until(done: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) finish();
        else if (this.failure) finish(this.failure);
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${STEP_TIMEOUT_MS} ms waiting for ${what}`)),
        STEP_TIMEOUT_MS,
      );
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      this.listeners.add(check);
      check();
    });
  }

  async create(label: string, request: WatchCreateReq, atCompactRevision: boolean): Promise<WatcherRecord> {
    const w: WatcherRecord = {
      label,
      request,
      atCompactRevision,
      watchId: null,
      created: null,
      canceled: null,
      events: [],
      progressRevision: 0,
    };
    this.watchers.set(label, w);
    this.pendingCreates.push(w);
    this.stream.write({ create_request: goWire(request) });
    await this.until(() => w.created !== null, `Created for watcher ${label}`);
    return w;
  }

  async cancel(label: string, now: number): Promise<NWatchStatus> {
    const w = this.watchers.get(label);
    if (!w?.created || w.watchId === null) throw new Error(`watcher ${label} was never created`);
    if (w.canceled) throw new Error(`watcher ${label} is already canceled`);
    // Every event up to now must be in before the cancel, or a late one is lost in a race.
    await this.sync(now, [w]);
    this.stream.write({ cancel_request: { watch_id: w.watchId } });
    await this.until(() => w.canceled !== null, `the cancel response of watcher ${label}`);
    return w.canceled!;
  }

  /** RequestProgress: its answers are not compared (etcd#15220), only sent. */
  requestProgress(): void {
    this.stream.write({ progress_request: {} });
  }

  /**
   * Waits until every given live watcher has received all its events up to
   * `now`: a periodic progress notification for it at `now` or later comes
   * through the same queue as its events, after them. Watchers that start
   * after `now` cannot have events yet, and etcd 3.6 (#20221) sends them no
   * progress, so they are left out.
   */
  async sync(now: number, watchers: Iterable<WatcherRecord> = this.watchers.values()): Promise<void> {
    for (const w of watchers) {
      if (!w.created || w.canceled || w.request.start_revision > now) continue;
      await this.until(
        () => w.canceled !== null || w.progressRevision >= now,
        `watcher ${w.label} (id ${w.watchId}) to sync to revision ${now}`,
      );
    }
  }

  close(): void {
    this.stream.removeAllListeners('data');
    this.stream.on('error', () => {});
    this.stream.cancel();
  }
}

export class Session {
  readonly client: EtcdClient;
  readonly leases = new LeaseBook();
  readonly watch: WatchStream;
  /** The highest header revision this server reported: its "now" for sync barriers. */
  revision = 1;

  readonly #watchClient: EtcdClient | undefined;

  /** `watchTarget`: watch through another server than the requests (a second store replica). */
  constructor(
    readonly name: string,
    target: string,
    watchTarget?: string,
  ) {
    this.client = connect(target);
    this.#watchClient = watchTarget === undefined ? undefined : connect(watchTarget);
    this.watch = new WatchStream(this.#watchClient ?? this.client, this.leases);
  }

  close(): void {
    this.watch.close();
    this.client.close();
    this.#watchClient?.close();
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The request as a Go client would encode it. protobufjs puts a bytes field
 * on the wire whenever it is set, even when empty; Go then decodes a non-nil
 * empty slice, and etcd's index treats a non-nil empty range_end as "to the
 * end of the keyspace" (a Range on one key becomes from-key). Go clients
 * never send empty bytes (gogo omits them), so neither does the harness.
 * A compare's `value` is a oneof member: its presence matters, it stays.
 */
function goWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(goWire);
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const isCompare = 'target' in value && 'result' in value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (Buffer.isBuffer(v) && v.length === 0 && !(isCompare && k === 'value')) continue;
    out[k] = goWire(v);
  }
  return out;
}

/** The request as this server must see it: generated lease names replaced by its own IDs. */
function resolveOps(ops: RequestOp[], leases: LeaseBook): unknown[] {
  return ops.map((op) => {
    if ('request_put' in op) return { request_put: { ...op.request_put, lease: leases.resolve(op.request_put.lease) } };
    if ('request_txn' in op) return { request_txn: resolveTxn(op.request_txn, leases) };
    return op;
  });
}

function resolveTxn(txn: TxnReq, leases: LeaseBook): unknown {
  return {
    compare: txn.compare.map((c) => (c.lease === undefined ? c : { ...c, lease: leases.resolve(c.lease) })),
    success: resolveOps(txn.success, leases),
    failure: resolveOps(txn.failure, leases),
  };
}

function keepAliveOnce(session: Session, id: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const stream = (session.client.lease as any).LeaseKeepAlive() as ClientDuplexStream<unknown, any>;
    stream.once('data', (res: Record<string, any>) => {
      resolve(res);
      stream.end();
    });
    stream.on('error', reject);
    stream.write({ ID: id });
  });
}

async function dispatch(session: Session, op: Op): Promise<unknown> {
  const { kv, lease } = session.client;
  const leases = session.leases;
  switch (op.kind) {
    case 'range':
      return rangeResponse(await call(kv, 'Range', goWire(op.req)), op.req, leases);
    case 'put':
      return putResponse(await call(kv, 'Put', goWire({ ...op.req, lease: leases.resolve(op.req.lease) })), leases);
    case 'deleteRange':
      return deleteRangeResponse(await call(kv, 'DeleteRange', goWire(op.req)), leases);
    case 'txn':
      return txnResponse(await call(kv, 'Txn', goWire(resolveTxn(op.req, leases))), op.req, leases);
    case 'compact':
      // etcd reads an event's prev_kv when it sends the event, not when it
      // commits it: a compaction that overtakes an event in flight drops its
      // prev_kv. Wait until such events are out. (Watchers catching up are
      // already synced: see watchCreate.)
      await session.watch.sync(
        session.revision,
        [...session.watch.watchers.values()].filter((w) => w.request.prev_kv),
      );
      return compactResponse(await call(kv, 'Compact', { revision: op.revision, physical: op.physical }));
    case 'leaseGrant': {
      const res = await call(lease, 'LeaseGrant', { TTL: op.ttl, ID: isGenerated(op.lease) ? '0' : op.lease });
      if (isGenerated(op.lease)) leases.bind(op.lease, String(res.ID));
      return leaseGrantResponse(res, leases);
    }
    case 'leaseRevoke':
      return leaseRevokeResponse(await call(lease, 'LeaseRevoke', { ID: leases.resolve(op.lease) }));
    case 'leaseTimeToLive':
      return leaseTimeToLiveResponse(
        await call(lease, 'LeaseTimeToLive', { ID: leases.resolve(op.lease), keys: op.keys }),
        leases,
      );
    case 'leaseKeepAlive':
      return leaseKeepAliveResponse(await keepAliveOnce(session, leases.resolve(op.lease)), leases);
    case 'leaseLeases':
      return leaseLeasesResponse(await call(lease, 'LeaseLeases', {}), leases);
    case 'watchCreate': {
      const w = await session.watch.create(op.label, op.req, op.atCompactRevision);
      // A watcher starting in the past catches up (or is canceled as compacted)
      // asynchronously; wait for that so the next operation finds it synced.
      if (!w.canceled && op.req.start_revision !== 0 && op.req.start_revision <= session.revision) {
        await session.watch.sync(session.revision, [w]);
      }
      return { created: w.created, canceled: w.canceled === w.created ? null : w.canceled };
    }
    case 'watchCancel':
      return session.watch.cancel(op.label, session.revision);
    case 'watchProgress':
      session.watch.requestProgress();
      return null;
  }
}

/** Runs one operation against one server; never throws. */
export async function execute(session: Session, op: Op): Promise<Outcome> {
  let outcome: Outcome;
  try {
    outcome = { ok: await withTimeout(dispatch(session, op), `${session.name} ${op.kind}`) };
  } catch (err) {
    outcome = errorOutcome(err);
  }
  if ('ok' in outcome) {
    const rev = (outcome.ok as { revision?: unknown } | null)?.revision;
    if (typeof rev === 'number') session.revision = Math.max(session.revision, rev);
  }
  return outcome;
}
