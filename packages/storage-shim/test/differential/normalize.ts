/**
 * Normalisation of etcd responses, so that the answers of two servers can be
 * compared with plain equality.
 *
 * What is kept: every field a client can rely on, revisions exactly.
 * What is dropped or canonicalised, and why:
 * - header cluster_id, member_id and raft_term: they identify the server;
 * - lease IDs a server generated: mapped to the generator's name for them
 *   (`g<n>`), a bijection per server;
 * - ties of a non-KEY sort: etcd uses Go's unstable sort, so equal sort values
 *   are put in key order (and where a limit cut a group of ties that was
 *   sorted unstably, only the sort value and size of that group are kept);
 * - LeaseTimeToLive keys (a Go map in etcd: random order) are sorted, and the
 *   remaining TTL, which depends on wall-clock time, becomes "alive"/-1;
 * - LeaseLeases is sorted by (mapped) ID.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
// A value import back into the generator: rangeOf is only called once both modules have loaded.
import { rangeOf, type RangeReq, type RequestOp, type TxnReq } from './generator.js';

export type Outcome = { ok: unknown } | { error: { code: string; details: string } };

/** Maps a lease ID as a server reported it to the name the comparison uses. */
export interface LeaseNamer {
  name(id: string): string;
}

/** Bytes as text, injective: printable ASCII stays, everything else (and `\`) is `\xNN`. */
export function showBytes(buf: Uint8Array | null | undefined): string {
  if (!buf) return '';
  let s = '';
  for (const c of buf)
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}

type Raw = Record<string, any>;

const num = (v: unknown): number => (v === null || v === undefined || v === '' ? 0 : Number(v));

export interface NKeyValue {
  key: string;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: string;
  lease: string;
}

export function keyValue(raw: Raw | null | undefined, leases: LeaseNamer): NKeyValue | null {
  if (!raw) return null;
  return {
    key: showBytes(raw.key),
    create_revision: num(raw.create_revision),
    mod_revision: num(raw.mod_revision),
    version: num(raw.version),
    value: showBytes(raw.value),
    lease: leases.name(String(raw.lease ?? '0')),
  };
}

export function revision(raw: Raw): number {
  return num(raw.header?.revision);
}

// ---------------------------------------------------------------------------
// KV

/** Marks a run of tied entries whose membership etcd's unstable sort does not fix. */
export interface TieGroup {
  tiedOn: string;
  entries: number;
}

/** Go's sort.Sort is an insertion sort (stable) up to 12 elements, pdqsort (unstable) above. */
const GO_STABLE_SORT_MAX = 12;

function sortValue(kv: NKeyValue, target: RangeReq['sort_target']): string {
  switch (target) {
    case 'VERSION':
      return String(kv.version);
    case 'CREATE':
      return String(kv.create_revision);
    case 'MOD':
      return String(kv.mod_revision);
    default:
      return kv.value;
  }
}

function canonicalOrder(kvs: NKeyValue[], req: RangeReq, more: boolean, count: number): Array<NKeyValue | TieGroup> {
  // etcd sorts ASCEND by default when the target is not KEY (apply.go Range).
  const order = req.sort_target !== 'KEY' && req.sort_order === 'NONE' ? 'ASCEND' : req.sort_order;
  if (order === 'NONE' || req.sort_target === 'KEY') return kvs;
  const groups: NKeyValue[][] = [];
  for (const kv of kvs) {
    const last = groups[groups.length - 1];
    if (last && sortValue(last[0]!, req.sort_target) === sortValue(kv, req.sort_target)) last.push(kv);
    else groups.push([kv]);
  }
  for (const g of groups) g.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  // How many kvs etcd sorted before cutting at the limit. min/max filters run
  // before the sort but after `count`, so then it is unknown.
  const filtered = req.min_mod_revision || req.max_mod_revision || req.min_create_revision || req.max_create_revision;
  const sorted = filtered
    ? Infinity
    : req.sort_order === 'NONE' && req.limit > 0
      ? Math.min(count, req.limit + 1)
      : count;
  const out: Array<NKeyValue | TieGroup> = groups.flat();
  const lastGroup = groups[groups.length - 1];
  if (more && sorted > GO_STABLE_SORT_MAX && lastGroup && lastGroup.length > 0) {
    out.splice(out.length - lastGroup.length, lastGroup.length, {
      tiedOn: sortValue(lastGroup[0]!, req.sort_target),
      entries: lastGroup.length,
    });
  }
  return out;
}

export function rangeResponse(raw: Raw, req: RangeReq, leases: LeaseNamer) {
  const kvs = ((raw.kvs ?? []) as Raw[]).map((kv) => keyValue(kv, leases)!);
  const more = Boolean(raw.more);
  const count = num(raw.count);
  return { revision: revision(raw), kvs: canonicalOrder(kvs, req, more, count), more, count };
}

export function putResponse(raw: Raw, leases: LeaseNamer) {
  return { revision: revision(raw), prev_kv: keyValue(raw.prev_kv, leases) };
}

export function deleteRangeResponse(raw: Raw, leases: LeaseNamer) {
  return {
    revision: revision(raw),
    deleted: num(raw.deleted),
    prev_kvs: ((raw.prev_kvs ?? []) as Raw[]).map((kv) => keyValue(kv, leases)),
  };
}

const RESPONSE_FIELDS = ['response_range', 'response_put', 'response_delete_range', 'response_txn'] as const;

function responseOp(raw: Raw, request: RequestOp | undefined, leases: LeaseNamer): unknown {
  const which: string | undefined = raw.response ?? RESPONSE_FIELDS.find((f) => raw[f]);
  const body = which ? raw[which] : null;
  if (!body) return { empty: true };
  switch (which) {
    case 'response_range': {
      const req = request && 'request_range' in request ? request.request_range : undefined;
      return {
        range: req
          ? rangeResponse(body, req, leases)
          : { unexpected: true, ...rangeResponse(body, rangeOf(Buffer.alloc(0)), leases) },
      };
    }
    case 'response_put':
      return { put: putResponse(body, leases) };
    case 'response_delete_range':
      return { delete_range: deleteRangeResponse(body, leases) };
    default: {
      const req = request && 'request_txn' in request ? request.request_txn : { compare: [], success: [], failure: [] };
      return { txn: txnResponse(body, req, leases) };
    }
  }
}

export interface NTxnResponse {
  revision: number;
  succeeded: boolean;
  responses: unknown[];
}

export function txnResponse(raw: Raw, req: TxnReq, leases: LeaseNamer): NTxnResponse {
  const succeeded = Boolean(raw.succeeded);
  const ops = succeeded ? req.success : req.failure;
  return {
    // A nested txn's own header has revision 0 in etcd; compared as is.
    revision: revision(raw),
    succeeded,
    responses: ((raw.responses ?? []) as Raw[]).map((r, i) => responseOp(r, ops[i], leases)),
  };
}

export function compactResponse(raw: Raw) {
  return { revision: revision(raw) };
}

// ---------------------------------------------------------------------------
// Lease

export function leaseGrantResponse(raw: Raw, leases: LeaseNamer) {
  return { revision: revision(raw), ID: leases.name(String(raw.ID)), TTL: num(raw.TTL), error: raw.error ?? '' };
}

export function leaseRevokeResponse(raw: Raw) {
  return { revision: revision(raw) };
}

export function leaseTimeToLiveResponse(raw: Raw, leases: LeaseNamer) {
  const ttl = num(raw.TTL);
  const granted = num(raw.grantedTTL);
  return {
    revision: revision(raw),
    ID: leases.name(String(raw.ID)),
    // Remaining seconds depend on when each server was asked; only its sign and bound are stable.
    TTL: ttl === -1 ? -1 : ttl > 0 && ttl <= granted ? 'alive' : `unexpected ${ttl}`,
    grantedTTL: granted,
    keys: ((raw.keys ?? []) as Buffer[]).map(showBytes).sort(),
  };
}

export function leaseKeepAliveResponse(raw: Raw, leases: LeaseNamer) {
  return { revision: revision(raw), ID: leases.name(String(raw.ID)), TTL: num(raw.TTL) };
}

export function leaseLeasesResponse(raw: Raw, leases: LeaseNamer) {
  return {
    revision: revision(raw),
    leases: ((raw.leases ?? []) as Raw[]).map((l) => leases.name(String(l.ID))).sort(),
  };
}

// ---------------------------------------------------------------------------
// Watch

export interface NEvent {
  type: string;
  kv: NKeyValue | null;
  prev_kv: NKeyValue | null;
}

export function event(raw: Raw, leases: LeaseNamer): NEvent {
  return { type: String(raw.type ?? 'PUT'), kv: keyValue(raw.kv, leases), prev_kv: keyValue(raw.prev_kv, leases) };
}

/** A Created or Canceled watch response, without its events. */
export interface NWatchStatus {
  watch_id: string;
  created: boolean;
  canceled: boolean;
  cancel_reason: string;
  compact_revision: number;
  revision: number;
}

export function watchStatus(raw: Raw): NWatchStatus {
  return {
    watch_id: String(raw.watch_id ?? '0'),
    created: Boolean(raw.created),
    canceled: Boolean(raw.canceled),
    cancel_reason: String(raw.cancel_reason ?? ''),
    compact_revision: num(raw.compact_revision),
    revision: revision(raw),
  };
}

// ---------------------------------------------------------------------------
// Errors and comparison

export function errorOutcome(err: unknown): Outcome {
  const e = err as { code?: number; details?: string; message?: string };
  if (typeof e?.code === 'number') {
    return { error: { code: GrpcStatus[e.code] ?? String(e.code), details: e.details ?? '' } };
  }
  return { error: { code: 'HARNESS', details: e?.message ?? String(err) } };
}

/** JSON with object keys sorted, so equal values print equal. */
export function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return v;
  });
}

/** Numeric fields whose 0 means "not set"; a compare's `mod_revision: 0` is kept. */
const ZERO_DEFAULTS = new Set([
  'limit',
  'revision',
  'min_mod_revision',
  'max_mod_revision',
  'min_create_revision',
  'max_create_revision',
  'start_revision',
  'watch_id',
]);

/** Readable form of a request for reports: bytes shown with showBytes, defaults left out. */
export function describe(value: unknown): string {
  const strip = (v: unknown): unknown => {
    if (Buffer.isBuffer(v)) return v.length > 64 ? `<${v.length} bytes>` : showBytes(v);
    // Long op lists (the 128-op limit tests) keep their head and their last entry.
    if (Array.isArray(v))
      return v.length > 8
        ? [...v.slice(0, 3).map(strip), `… ${v.length - 4} more …`, strip(v[v.length - 1])]
        : v.map(strip);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (x === false || (x === 0 && ZERO_DEFAULTS.has(k)) || (x === '0' && k === 'lease')) continue;
        if (Buffer.isBuffer(x) && x.length === 0 && k === 'range_end') continue;
        if ((k === 'sort_order' && x === 'NONE') || (k === 'sort_target' && x === 'KEY')) continue;
        if (Array.isArray(x) && x.length === 0 && k === 'filters') continue;
        out[k] = strip(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(strip(value));
}
