/**
 * Seeded generator of etcd v3 operations for the differential suite.
 *
 * The generator owns a small model of the store that it updates from the
 * oracle's (etcd's) normalised answers, so that conditional writes carry
 * revisions that are often right (kube-apiserver's read-modify-write loop)
 * and sometimes stale. Because the model only ever sees the oracle's answers,
 * a seed replays the same sequence whatever the store under test answers.
 */
// The key helpers and the sort enums are the store's own: they only shape the
// requests and the model of what etcd answered, never what is compared.
import { EMPTY, inRange, NUL, prefixEnd, toKeyRange } from '../../src/keys.js';
import type { SortOrder, SortTarget } from '../../src/types.js';
import { showBytes, type Outcome } from './normalize.js';

// ---------------------------------------------------------------------------
// PRNG

/** sfc32 seeded through splitmix32: small, fast, and identical on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [value, w] of entries) {
      if ((x -= w) < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }
}

// ---------------------------------------------------------------------------
// Key space and values

const b = (s: string) => Buffer.from(s, 'latin1');

/**
 * Three prefixes, one per backend in the routed run (`/a/` and `/b/` get their
 * own SQLite file, `/c/` falls to the default backend).
 */
export const PREFIXES = ['/a/', '/b/', '/c/'] as const;

function buildKeys(): Buffer[] {
  const keys: Buffer[] = [];
  for (const p of PREFIXES) {
    for (let i = 0; i < 13; i++) keys.push(b(`${p}k${i}`));
    // Bytes that break string handling: NUL inside a key, 0xff at the end.
    keys.push(b(`${p}\x00`));
    keys.push(b(`${p}z\xff`));
  }
  // Keys at the edges of the prefixes and of the whole keyspace; these and
  // compact_rev_key live in the default backend when routed.
  keys.push(b('compact_rev_key'), b('/a'), b('/b0'), b('\x00'), b('\xff'), b('\xff\xff'));
  return keys.sort((a, b) => Buffer.compare(a, b));
}

export const KEYS: readonly Buffer[] = buildKeys();
export const COMPACT_KEY = b('compact_rev_key');

export const VALUES: readonly Buffer[] = [
  EMPTY,
  b('v0'),
  b('v1'),
  b('v2'),
  b('v3'),
  b('bin\x00\xff'),
  b('\xff\xfe\xfd'),
  b('\x00'),
  b('x'.repeat(200)),
];

// ---------------------------------------------------------------------------
// Operations (requests in proto-loader's object form)

/**
 * A lease as the generator names it: a decimal ID the client chose, or
 * `g<n>` for the n-th ID the server generated. The runner resolves it per
 * server, which is the lease-ID bijection.
 */
export type LeaseRef = string;

export interface RangeReq {
  key: Buffer;
  range_end: Buffer;
  limit: number;
  revision: number;
  sort_order: SortOrder;
  sort_target: SortTarget;
  serializable: boolean;
  keys_only: boolean;
  count_only: boolean;
  min_mod_revision: number;
  max_mod_revision: number;
  min_create_revision: number;
  max_create_revision: number;
}

export interface PutReq {
  key: Buffer;
  value: Buffer;
  lease: LeaseRef;
  prev_kv: boolean;
  ignore_value: boolean;
  ignore_lease: boolean;
}

export interface DeleteReq {
  key: Buffer;
  range_end: Buffer;
  prev_kv: boolean;
}

export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';

/** Only the `target_union` member that is set is present, like the Go client. */
export interface CompareReq {
  result: CompareResult;
  target: CompareTarget;
  key: Buffer;
  range_end: Buffer;
  version?: number;
  create_revision?: number;
  mod_revision?: number;
  value?: Buffer;
  lease?: LeaseRef;
}

export type RequestOp =
  { request_range: RangeReq } | { request_put: PutReq } | { request_delete_range: DeleteReq } | { request_txn: TxnReq };

export interface TxnReq {
  compare: CompareReq[];
  success: RequestOp[];
  failure: RequestOp[];
}

export type WatchFilter = 'NOPUT' | 'NODELETE';

export interface WatchCreateReq {
  key: Buffer;
  range_end: Buffer;
  start_revision: number;
  progress_notify: boolean;
  filters: WatchFilter[];
  prev_kv: boolean;
  watch_id: number;
}

export type TxnShape = 'create' | 'update' | 'delete' | 'compact-cas' | 'generic' | 'bulk' | 'error';

export type Op =
  | { kind: 'range'; req: RangeReq }
  | { kind: 'put'; req: PutReq }
  | { kind: 'deleteRange'; req: DeleteReq }
  | { kind: 'txn'; shape: TxnShape; req: TxnReq }
  | { kind: 'compact'; revision: number; physical: boolean }
  | { kind: 'leaseGrant'; lease: LeaseRef; ttl: number }
  | { kind: 'leaseRevoke'; lease: LeaseRef }
  | { kind: 'leaseTimeToLive'; lease: LeaseRef; keys: boolean }
  | { kind: 'leaseKeepAlive'; lease: LeaseRef }
  | { kind: 'leaseLeases' }
  /**
   * `atCompactRevision`: the watch starts exactly at the compact revision, where
   * the store follows etcd 3.6 (etcd#19179, #18089); its events at that
   * revision are not compared.
   */
  | { kind: 'watchCreate'; label: string; req: WatchCreateReq; atCompactRevision: boolean }
  | { kind: 'watchCancel'; label: string }
  | { kind: 'watchProgress' };

export function isGenerated(lease: LeaseRef): boolean {
  return lease.startsWith('g');
}

// ---------------------------------------------------------------------------
// Model

interface KeyInfo {
  mod: number;
  version: number;
  lease: LeaseRef;
}

interface WatcherInfo {
  label: string;
  /** The id the oracle assigned; null until created, '-1' when refused. */
  watchId: string | null;
  live: boolean;
}

/** What the generator believes about the store, learned from the oracle. */
export class Model {
  rev = 1;
  compactRev = 0;
  /** Absent: unknown; null: known not to exist. */
  readonly keys = new Map<string, KeyInfo | null>();
  readonly leases = new Map<LeaseRef, 'alive' | 'revoked'>();
  readonly watchers = new Map<string, WatcherInfo>();
  generatedLeases = 0;
  watchersCreated = 0;

  liveWatchers(): WatcherInfo[] {
    return [...this.watchers.values()].filter((w) => w.live);
  }

  /** Feed one operation and the oracle's normalised outcome. */
  observe(op: Op, outcome: Outcome): void {
    if ('error' in outcome || outcome.ok === null) return;
    const res = outcome.ok as Record<string, any>;
    if (typeof res.revision === 'number') this.rev = Math.max(this.rev, res.revision);
    switch (op.kind) {
      case 'range':
        this.learnRange(op.req, res);
        break;
      case 'put':
        this.learnPut(op.req, res.revision);
        break;
      case 'deleteRange':
        if (res.deleted > 0) this.forget(op.req.key, op.req.range_end);
        break;
      case 'txn':
        this.learnTxn(op.req, res, res.revision);
        break;
      case 'compact':
        this.compactRev = op.revision;
        break;
      case 'leaseGrant':
        this.leases.set(op.lease, 'alive');
        break;
      case 'leaseRevoke':
        this.leases.set(op.lease, 'revoked');
        for (const [k, info] of this.keys) if (info && info.lease === op.lease) this.keys.set(k, null);
        break;
      case 'watchCreate': {
        const created = res.created as { watch_id: string; canceled: boolean };
        const canceled = created.canceled || res.canceled !== null;
        this.watchers.set(op.label, { label: op.label, watchId: created.watch_id, live: !canceled });
        break;
      }
      case 'watchCancel': {
        const w = this.watchers.get(op.label);
        if (w) w.live = false;
        break;
      }
      default:
        break;
    }
  }

  private learnRange(req: RangeReq, res: Record<string, any>): void {
    if (req.revision !== 0 || req.count_only || !Array.isArray(res.kvs)) return;
    for (const kv of res.kvs as Array<Record<string, any>>) {
      this.keys.set(kv.key, { mod: kv.mod_revision, version: kv.version, lease: kv.lease });
    }
    if (req.range_end.length === 0 && res.kvs.length === 0) this.keys.set(showBytes(req.key), null);
  }

  private learnPut(req: PutReq, rev: number): void {
    const name = showBytes(req.key);
    const before = this.keys.get(name);
    this.keys.set(name, {
      mod: rev,
      version: before ? before.version + 1 : before === null ? 1 : 0,
      lease: req.ignore_lease ? (before?.lease ?? '0') : req.lease,
    });
  }

  private forget(start: Buffer, end: Buffer): void {
    for (const k of KEYS) if (inRange(toKeyRange(start, end), k)) this.keys.set(showBytes(k), null);
  }

  private learnTxn(req: TxnReq, res: Record<string, any>, rev: number): void {
    const ops = res.succeeded ? req.success : req.failure;
    const responses = res.responses as Array<Record<string, any>>;
    ops.forEach((op, i) => {
      const r = responses[i];
      if (!r) return;
      if ('request_put' in op) this.learnPut(op.request_put, rev);
      else if ('request_delete_range' in op && r.delete_range?.deleted > 0) {
        this.forget(op.request_delete_range.key, op.request_delete_range.range_end);
      } else if ('request_range' in op && r.range) this.learnRange(op.request_range, r.range);
      else if ('request_txn' in op && r.txn) this.learnTxn(op.request_txn, r.txn, rev);
    });
  }
}

// ---------------------------------------------------------------------------
// Generator

/** Explicit lease IDs: small ones, and the largest int64 to catch 53-bit truncation. */
const MAX_INT64 = '9223372036854775807';
const EXPLICIT_LEASES: readonly LeaseRef[] = ['1001', '1002', '1003', '1004', '1005', MAX_INT64];
/** Never granted: puts with it must fail with "requested lease not found". */
const UNKNOWN_LEASE: LeaseRef = '4242';
const MAX_LIVE_WATCHERS = 6;

export interface GeneratorOptions {
  /** Relative frequency of watch operations; 0 turns watches off. */
  watchWeight?: number;
}

export class Generator {
  readonly model = new Model();
  private readonly rng: Rng;
  /** Operations that must follow the previous one (kube's compaction: CAS, then Compact). */
  private readonly followUps: Op[] = [];
  private readonly watchWeight: number;

  constructor(seed: number, options: GeneratorOptions = {}) {
    this.rng = new Rng(seed);
    this.watchWeight = options.watchWeight ?? 1;
  }

  /** The next operation; call `observe` with the oracle's outcome before asking again. */
  next(): Op {
    const queued = this.followUps.shift();
    if (queued) return queued;
    const r = this.rng;
    const live = this.model.liveWatchers().length;
    const kind = r.weighted<string>([
      ['create', 10],
      ['update', 14],
      ['delete', 5],
      ['compact-cas', 1.2],
      ['txn', 13],
      ['bulk', 1.5],
      ['put', 10],
      ['deleteRange', 4],
      ['range', 18],
      ['compact', 0.4],
      ['leaseGrant', 2],
      ['leaseRevoke', 1],
      ['leaseTimeToLive', 1.5],
      ['leaseKeepAlive', 0.5],
      ['leaseLeases', 0.5],
      ['error', 1.5],
      ['watchCreate', live < MAX_LIVE_WATCHERS ? 0.8 * this.watchWeight : 0],
      ['watchCancel', live > 0 ? 0.35 * this.watchWeight : 0],
      ['watchProgress', 0.3 * this.watchWeight],
    ]);
    switch (kind) {
      case 'create':
        return this.kubeCreate();
      case 'update':
        return this.kubeUpdate();
      case 'delete':
        return this.kubeDelete();
      case 'compact-cas':
        return this.kubeCompactCas();
      case 'txn':
        return { kind: 'txn', shape: 'generic', req: this.genericTxn(0) };
      case 'bulk':
        return { kind: 'txn', shape: 'bulk', req: this.bulkTxn() };
      case 'put':
        return { kind: 'put', req: this.put(false) };
      case 'deleteRange':
        return { kind: 'deleteRange', req: this.deleteRange() };
      case 'range':
        return { kind: 'range', req: this.range() };
      case 'compact':
        return this.compact();
      case 'leaseGrant':
        return this.leaseGrant();
      case 'leaseRevoke':
        return { kind: 'leaseRevoke', lease: this.leaseRef(true) };
      case 'leaseTimeToLive':
        return { kind: 'leaseTimeToLive', lease: this.leaseRef(true), keys: r.chance(0.7) };
      case 'leaseKeepAlive':
        return { kind: 'leaseKeepAlive', lease: this.leaseRef(true) };
      case 'leaseLeases':
        return { kind: 'leaseLeases' };
      case 'error':
        return this.errorCase();
      case 'watchCreate':
        return this.watchCreate();
      case 'watchCancel':
        return { kind: 'watchCancel', label: r.pick(this.model.liveWatchers()).label };
      default:
        return { kind: 'watchProgress' };
    }
  }

  observe(op: Op, outcome: Outcome): void {
    this.model.observe(op, outcome);
    // kube-apiserver compacts only after its CAS on compact_rev_key succeeded,
    // to the revision it wrote into the key.
    if (op.kind === 'txn' && op.shape === 'compact-cas' && 'ok' in outcome) {
      const res = outcome.ok as { succeeded: boolean };
      const written = Number(
        op.req.success[0] && 'request_put' in op.req.success[0] ? op.req.success[0].request_put.value.toString() : 0,
      );
      if (res.succeeded && written > 0 && this.rng.chance(0.5)) {
        this.followUps.push({ kind: 'compact', revision: written, physical: false });
      }
    }
  }

  // --- kube-apiserver's four txn shapes (k8s.io/apiserver pkg/storage/etcd3)

  private kubeCreate(): Op {
    const key = this.key();
    const put = this.plainPut(key, this.leaseForWrite());
    return kubeTxn({ shape: 'create', key, mod: 0, success: { request_put: put } });
  }

  private kubeUpdate(): Op {
    const key = this.key();
    const put = this.plainPut(key, this.leaseForWrite());
    return kubeTxn({ shape: 'update', key, mod: this.expectedMod(key), success: { request_put: put } });
  }

  private kubeDelete(): Op {
    const key = this.key();
    const success = { request_delete_range: { key, range_end: EMPTY, prev_kv: false } };
    return kubeTxn({ shape: 'delete', key, mod: this.expectedMod(key), success });
  }

  private kubeCompactCas(): Op {
    const known = this.model.keys.get(showBytes(COMPACT_KEY));
    const expect = this.rng.chance(0.75) ? (known?.version ?? 0) : this.rng.int(0, 4);
    // The apiserver writes the revision it saw one interval earlier; a recent one will do.
    const rev = Math.max(this.model.compactRev + 1, this.model.rev - this.rng.int(0, 20));
    return {
      kind: 'txn',
      shape: 'compact-cas',
      req: {
        compare: [{ result: 'EQUAL', target: 'VERSION', key: COMPACT_KEY, range_end: EMPTY, version: expect }],
        success: [{ request_put: this.plainPut(COMPACT_KEY, '0', Buffer.from(String(rev))) }],
        failure: [{ request_range: rangeOf(COMPACT_KEY) }],
      },
    };
  }

  // --- building blocks

  private key(): Buffer {
    return this.rng.pick(KEYS);
  }

  private value(): Buffer {
    return this.rng.pick(VALUES);
  }

  private expectedMod(key: Buffer): number {
    const known = this.model.keys.get(showBytes(key));
    if (known !== undefined && this.rng.chance(0.8)) return known?.mod ?? 0;
    return this.rng.chance(0.3) ? 0 : this.rng.int(1, this.model.rev);
  }

  private revisionNear(): number {
    return this.rng.int(Math.max(1, this.model.compactRev - 2), this.model.rev + 2);
  }

  /** A lease for a write: mostly none, sometimes granted, revoked or never granted. */
  private leaseForWrite(): LeaseRef {
    if (this.rng.chance(0.8)) return '0';
    return this.leaseRef(false);
  }

  /** Any lease the generator knows of; alive ones are preferred. */
  private leaseRef(forLeaseApi: boolean): LeaseRef {
    const alive = [...this.model.leases].filter(([, s]) => s === 'alive').map(([l]) => l);
    const revoked = [...this.model.leases].filter(([, s]) => s === 'revoked').map(([l]) => l);
    return this.rng.weighted<() => LeaseRef>([
      [() => this.rng.pick(alive), alive.length > 0 ? 8 : 0],
      [() => this.rng.pick(revoked), revoked.length > 0 ? 1 : 0],
      [() => this.rng.pick(EXPLICIT_LEASES), 1],
      [() => UNKNOWN_LEASE, forLeaseApi ? 1 : 0.5],
    ])();
  }

  private plainPut(key: Buffer, lease: LeaseRef, value = this.value()): PutReq {
    return { key, value, lease, prev_kv: false, ignore_value: false, ignore_lease: false };
  }

  /**
   * A Put with every option of the Put RPC, including the invalid
   * combinations etcd refuses (ignore_value with a value, ignore_lease with a
   * lease, either on a missing key).
   */
  private put(inTxn: boolean): PutReq {
    const r = this.rng;
    const req = this.plainPut(this.key(), this.leaseForWrite());
    req.prev_kv = r.chance(inTxn ? 0.3 : 0.4);
    if (r.chance(0.12)) {
      req.ignore_value = true;
      // Mostly the valid form (no value); sometimes a value, which etcd refuses.
      if (r.chance(0.8)) req.value = EMPTY;
      else if (req.value.length === 0) req.value = Buffer.from('v0');
    }
    if (r.chance(0.12)) {
      req.ignore_lease = true;
      if (r.chance(0.85)) req.lease = '0';
      else if (req.lease === '0') req.lease = this.leaseRef(false);
    }
    return req;
  }

  /** A key range in request form: [key, end). */
  private keyRange(): { key: Buffer; end: Buffer } {
    const r = this.rng;
    return r.weighted<() => { key: Buffer; end: Buffer }>([
      [() => ({ key: this.key(), end: EMPTY }), 6],
      [
        () => {
          const p = b(r.pick(PREFIXES));
          return { key: p, end: prefixEnd(p) };
        },
        4,
      ],
      // A key as a prefix: /a/k1 covers /a/k1, /a/k10, /a/k11, /a/k12.
      [
        () => {
          const k = this.key();
          return { key: k, end: prefixEnd(k) };
        },
        1.5,
      ],
      [() => ({ key: b('/'), end: b('0') }), 1],
      // prefixEnd of all-0xff keys is "\0", i.e. from-key.
      [() => ({ key: b('\xff'), end: prefixEnd(b('\xff')) }), 0.5],
      [() => ({ key: this.key(), end: NUL }), 1.5],
      [() => ({ key: NUL, end: NUL }), 1],
      // The next page of a kube-apiserver list: continue key = last key + "\0".
      [
        () => {
          const p = b(r.pick(PREFIXES));
          const last = r.pick(KEYS.filter((k) => k.subarray(0, p.length).equals(p)));
          return { key: Buffer.concat([last, NUL]), end: prefixEnd(p) };
        },
        1,
      ],
      [
        () => {
          const x = this.key();
          const y = this.key();
          // Mostly ordered; sometimes reversed, which is an empty range.
          const [lo, hi] = Buffer.compare(x, y) <= 0 || r.chance(0.2) ? [x, y] : [y, x];
          return { key: lo, end: hi };
        },
        2,
      ],
    ])();
  }

  private range(): RangeReq {
    const r = this.rng;
    const { key, end } = this.keyRange();
    const req = rangeOf(key, end);
    if (r.chance(0.3)) req.limit = r.pick([1, 1, 2, 3, 5, 10]);
    if (r.chance(0.2)) req.revision = this.revisionNear();
    if (r.chance(0.25)) {
      req.sort_order = r.pick(['NONE', 'ASCEND', 'DESCEND'] as const);
      req.sort_target = r.pick(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const);
    }
    if (r.chance(0.1)) req.serializable = true;
    // Two draws, the second only when the first fails: count_only and keys_only never together.
    const countOnly = r.chance(0.1);
    if (countOnly) req.count_only = true;
    else if (r.chance(0.1)) req.keys_only = true;
    // With keys_only the response hides the values, so ties of a VALUE sort
    // (unstable in etcd) could not be put in a canonical order: not generated.
    if (req.keys_only && req.sort_target === 'VALUE') req.sort_target = 'MOD';
    if (r.chance(0.12)) {
      const which = r.int(0, 3);
      const rev = r.int(1, this.model.rev + 1);
      if (which === 0) req.min_mod_revision = rev;
      else if (which === 1) req.max_mod_revision = rev;
      else if (which === 2) req.min_create_revision = rev;
      else req.max_create_revision = rev;
    }
    return req;
  }

  private deleteRange(): DeleteReq {
    // Whole-prefix deletes empty the store quickly; keep them rarer than single keys.
    const { key, end } = this.rng.chance(0.55) ? { key: this.key(), end: EMPTY } : this.keyRange();
    return { key, range_end: end, prev_kv: this.rng.chance(0.5) };
  }

  private compare(): CompareReq {
    const r = this.rng;
    const target = r.pick(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const);
    const result = r.pick(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const);
    const single = r.chance(0.75);
    const { key, end } = single ? { key: this.key(), end: EMPTY } : this.keyRange();
    const c: CompareReq = { result, target, key, range_end: end };
    const known = this.model.keys.get(showBytes(key));
    const unionRoll = r.next();
    // Rarely leave the union unset or set the wrong member: etcd then compares against 0 / empty.
    const unionTarget =
      unionRoll < 0.04
        ? null
        : unionRoll < 0.07
          ? r.pick(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const)
          : target;
    switch (unionTarget) {
      case 'VERSION':
        c.version = known && r.chance(0.6) ? known.version : r.int(0, 4);
        break;
      case 'CREATE':
        c.create_revision = r.chance(0.3) ? 0 : r.int(1, this.model.rev + 1);
        break;
      case 'MOD':
        c.mod_revision = known && r.chance(0.6) ? known.mod : r.int(0, this.model.rev + 1);
        break;
      case 'VALUE':
        c.value = this.value();
        break;
      case 'LEASE':
        // Servers choose their own IDs, so only equality survives the ID
        // bijection; an order is compared only against the ends of the ID
        // space, where every server agrees.
        if (result === 'LESS' || result === 'GREATER') c.lease = r.pick(['0', MAX_INT64]);
        else c.lease = r.chance(0.4) ? '0' : this.leaseRef(false);
        break;
      default:
        break;
    }
    return c;
  }

  private requestOp(depth: number): RequestOp {
    return this.rng.weighted<() => RequestOp>([
      [() => ({ request_range: this.range() }), 4],
      [() => ({ request_put: this.put(true) }), 5],
      [() => ({ request_delete_range: this.deleteRange() }), 2],
      [() => ({ request_txn: this.genericTxn(depth + 1) }), depth < 2 ? 1 : 0],
    ])();
  }

  private genericTxn(depth: number): TxnReq {
    const r = this.rng;
    const txn: TxnReq = {
      compare: Array.from(
        {
          length: r.weighted([
            [0, 1],
            [1, 5],
            [2, 2],
            [3, 1],
          ]),
        },
        () => this.compare(),
      ),
      success: Array.from({ length: r.int(0, depth === 0 ? 4 : 2) }, () => this.requestOp(depth)),
      failure: Array.from({ length: r.int(0, depth === 0 ? 3 : 2) }, () => this.requestOp(depth)),
    };
    if (depth === 0) stripIgnoresIfDeletingToEnd(txn);
    return txn;
  }

  /**
   * Many keys in one revision, spread over every prefix (so over every backend
   * when routed): one atomic cross-backend write, and many events in one
   * watch response.
   */
  private bulkTxn(): TxnReq {
    const r = this.rng;
    const keys = [...KEYS];
    for (let i = keys.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    const ops: RequestOp[] = keys
      .slice(0, r.int(5, 24))
      .map((key) =>
        r.chance(0.7)
          ? { request_put: { ...this.plainPut(key, this.leaseForWrite()), prev_kv: r.chance(0.3) } }
          : { request_delete_range: { key, range_end: EMPTY, prev_kv: r.chance(0.5) } },
      );
    const compare = r.chance(0.3) ? [this.compare()] : [];
    return { compare, success: ops, failure: r.chance(0.5) ? [{ request_range: rangeOf(NUL, NUL) }] : [] };
  }

  private compact(): Op {
    const r = this.rng;
    const m = this.model;
    const revision = r.weighted<() => number>([
      // The usual case: somewhere between the last compaction and now.
      [() => r.int(m.compactRev + 1, m.rev), m.rev > m.compactRev ? 8 : 0],
      [() => r.int(Math.max(1, m.compactRev - 3), m.compactRev), m.compactRev > 0 ? 1 : 0],
      [() => m.rev + r.int(1, 3), 1],
    ])();
    return { kind: 'compact', revision, physical: r.chance(0.3) };
  }

  private leaseGrant(): Op {
    const r = this.rng;
    const ttl = r.int(300, 3600);
    if (r.chance(0.4)) return { kind: 'leaseGrant', lease: `g${this.model.generatedLeases++}`, ttl };
    // Explicit IDs: granting one that exists must fail with "lease already exists".
    if (r.chance(0.03)) return { kind: 'leaseGrant', lease: r.pick(EXPLICIT_LEASES), ttl: 9_000_000_001 };
    return { kind: 'leaseGrant', lease: r.pick(EXPLICIT_LEASES), ttl };
  }

  private watchCreate(): Op {
    const r = this.rng;
    const m = this.model;
    const label = `w${m.watchersCreated++}`;
    const range = r.weighted<() => { key: Buffer; end: Buffer }>([
      [() => ({ key: this.key(), end: EMPTY }), 3],
      [
        () => {
          const p = b(r.pick(PREFIXES));
          return { key: p, end: prefixEnd(p) };
        },
        4,
      ],
      [() => ({ key: this.key(), end: NUL }), 1.5],
      // An empty key means "\0" (the smallest key) for a watch.
      [() => ({ key: EMPTY, end: NUL }), 1],
      [() => ({ key: b('/'), end: b('0') }), 1],
      // end <= key: etcd answers Created+Canceled "mvcc: watcher range is empty".
      [() => ({ key: b('/b/'), end: b('/a/') }), 0.3],
    ])();
    let atCompactRevision = false;
    const start = r.weighted<() => number>([
      [() => 0, 3],
      [() => r.int(m.compactRev + 1, m.rev), m.rev > m.compactRev ? 3 : 0],
      [() => r.int(1, m.compactRev - 1), m.compactRev > 1 ? 1 : 0],
      [
        () => {
          atCompactRevision = true;
          return m.compactRev;
        },
        m.compactRev > 0 ? 0.7 : 0,
      ],
      [() => m.rev + r.int(1, 4), 2],
      [() => 1, 0.5],
    ])();
    if (start === m.compactRev && m.compactRev > 0) atCompactRevision = true;
    const live = m.liveWatchers().filter((w) => w.watchId !== null && w.watchId !== '-1');
    const usedIds = new Set(live.map((w) => Number(w.watchId)));
    let watchId = 0;
    const idRoll = r.next();
    if (idRoll < 0.05 && live.length > 0) watchId = Number(r.pick(live).watchId);
    else if (idRoll < 0.3) {
      // Small IDs collide with the server's own counter, which must skip them.
      do watchId = r.chance(0.5) ? r.int(1, 12) : r.int(100, 10_000);
      while (usedIds.has(watchId));
    }
    const filters: WatchFilter[] = r.weighted<WatchFilter[]>([
      [[], 6],
      [['NOPUT'], 1.5],
      [['NODELETE'], 1.5],
      [['NOPUT', 'NODELETE'], 0.5],
    ]);
    return {
      kind: 'watchCreate',
      label,
      atCompactRevision,
      req: {
        key: range.key,
        range_end: range.end,
        start_revision: start,
        // Always on: the harness uses the per-watcher progress notification as
        // its "all events up to R delivered" barrier. It is not compared.
        progress_notify: true,
        filters,
        prev_kv: r.chance(0.6),
        watch_id: watchId,
      },
    };
  }

  /** Requests etcd must refuse, each with its exact error. */
  private errorCase(): Op {
    const r = this.rng;
    const key = this.key();
    return r.weighted<() => Op>([
      [() => ({ kind: 'range', req: rangeOf(EMPTY, r.chance(0.5) ? EMPTY : NUL) }), 1],
      [() => ({ kind: 'put', req: this.plainPut(EMPTY, '0') }), 1],
      [() => ({ kind: 'deleteRange', req: { key: EMPTY, range_end: EMPTY, prev_kv: false } }), 1],
      [() => ({ kind: 'put', req: this.plainPut(key, UNKNOWN_LEASE) }), 1],
      [() => ({ kind: 'put', req: { ...this.plainPut(key, '0', EMPTY), ignore_value: true } }), 1],
      [() => ({ kind: 'put', req: { ...this.plainPut(key, '0'), ignore_lease: true } }), 1],
      [() => ({ kind: 'txn', shape: 'error', req: this.tooManyOps() }), 2],
      [() => ({ kind: 'txn', shape: 'error', req: this.duplicateKeyTxn() }), 2],
      [() => ({ kind: 'txn', shape: 'error', req: this.emptyKeyTxn() }), 1],
      // 1.6 MB: above --max-request-bytes (1.5 MiB) but below gRPC's receive cap.
      [() => ({ kind: 'put', req: this.plainPut(key, '0', Buffer.alloc(1_600_000, 0x61)) }), 0.1],
    ])();
  }

  private tooManyOps(): TxnReq {
    const r = this.rng;
    const ranges = (n: number): RequestOp[] =>
      Array.from({ length: n }, () => ({ request_range: rangeOf(this.key()) }));
    return r.weighted<() => TxnReq>([
      // 128 is the limit and must pass.
      [() => ({ compare: [], success: ranges(r.pick([128, 129])), failure: [] }), 2],
      [() => ({ compare: [], success: [], failure: ranges(129) }), 1],
      [() => ({ compare: Array.from({ length: 129 }, () => modEquals(this.key(), 0)), success: [], failure: [] }), 1],
      // etcd checks a nested txn against what the outer level leaves of the budget.
      [
        () => ({
          compare: [],
          success: [...ranges(100), { request_txn: { compare: [], success: ranges(r.pick([20, 40])), failure: [] } }],
          failure: [],
        }),
        1,
      ],
    ])();
  }

  private duplicateKeyTxn(): TxnReq {
    const r = this.rng;
    const key = this.key();
    const p = b(r.pick(PREFIXES));
    const put = (k: Buffer): RequestOp => ({ request_put: this.plainPut(k, '0') });
    return r.weighted<() => TxnReq>([
      [() => ({ compare: [], success: [put(key), put(key)], failure: [] }), 2],
      [() => ({ compare: [], success: [del(p, prefixEnd(p)), put(Buffer.concat([p, b('k1')]))], failure: [] }), 1],
      [() => ({ compare: [], success: [put(key), txn([], [put(key)], [])], failure: [] }), 1],
      // The same key in both branches of a nested txn is fine (only one runs).
      [() => ({ compare: [], success: [txn([modEquals(key, 0)], [put(key)], [put(key)])], failure: [] }), 1],
      // Overlapping deletes are allowed.
      [() => ({ compare: [], success: [del(key, EMPTY), del(p, prefixEnd(p))], failure: [] }), 1],
    ])();
  }

  private emptyKeyTxn(): TxnReq {
    return this.rng.weighted<() => TxnReq>([
      [() => ({ compare: [modEquals(EMPTY, 0)], success: [], failure: [] }), 1],
      [() => ({ compare: [], success: [{ request_range: rangeOf(EMPTY) }], failure: [] }), 1],
      [() => ({ compare: [], success: [], failure: [{ request_put: this.plainPut(EMPTY, '0') }] }), 1],
      [() => ({ compare: [], success: [txn([], [del(EMPTY, EMPTY)], [])], failure: [] }), 1],
    ])();
  }
}

const del = (key: Buffer, end: Buffer): RequestOp => ({ request_delete_range: { key, range_end: end, prev_kv: true } });
const txn = (compare: CompareReq[], success: RequestOp[], failure: RequestOp[]): RequestOp => ({
  request_txn: { compare, success, failure },
});

/**
 * kube-apiserver's guarded write of `key`: `success` if the key is at mod
 * revision `mod` (0: absent); otherwise, for an update or a delete, a read of
 * the key as it is.
 */
function kubeTxn(write: { shape: 'create' | 'update' | 'delete'; key: Buffer; mod: number; success: RequestOp }): Op {
  const failure: RequestOp[] = write.shape === 'create' ? [] : [{ request_range: rangeOf(write.key) }];
  return {
    kind: 'txn',
    shape: write.shape,
    req: { compare: [modEquals(write.key, write.mod)], success: [write.success], failure },
  };
}

function modEquals(key: Buffer, rev: number): CompareReq {
  return { result: 'EQUAL', target: 'MOD', key, range_end: EMPTY, mod_revision: rev };
}

export function rangeOf(key: Buffer, end: Buffer = EMPTY): RangeReq {
  return {
    key,
    range_end: end,
    limit: 0,
    revision: 0,
    sort_order: 'NONE',
    sort_target: 'KEY',
    serializable: false,
    keys_only: false,
    count_only: false,
    min_mod_revision: 0,
    max_mod_revision: 0,
    min_create_revision: 0,
    max_create_revision: 0,
  };
}

function* walkOps(ops: RequestOp[]): IterableIterator<RequestOp> {
  for (const op of ops) {
    yield op;
    if ('request_txn' in op) {
      yield* walkOps(op.request_txn.success);
      yield* walkOps(op.request_txn.failure);
    }
  }
}

/**
 * etcd 3.4.23 panics on a txn whose DeleteRange runs to the end of the
 * keyspace (range_end "\0") and then puts, with ignore_value or ignore_lease,
 * a key that delete removed (reference Appendix): its overlap check treats
 * [key, "\0") as empty. Such txns get plain puts instead.
 */
function stripIgnoresIfDeletingToEnd(txn: TxnReq): void {
  const all = [...walkOps(txn.success), ...walkOps(txn.failure)];
  const toEnd = all.some((op) => 'request_delete_range' in op && op.request_delete_range.range_end.equals(NUL));
  if (!toEnd) return;
  for (const op of all) {
    if (!('request_put' in op)) continue;
    const put = op.request_put;
    if (put.ignore_value && put.value.length === 0) put.value = Buffer.from('v0');
    put.ignore_value = false;
    put.ignore_lease = false;
  }
}
