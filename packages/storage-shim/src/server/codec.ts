import type {
  Compare, DeleteRangeRequest, DeleteRangeResponse, Event, KeyValue, PutRequest, PutResponse, RangeRequest,
  RangeResponse, RequestOp, ResponseOp, TxnRequest, TxnResponse,
} from '../types.js';

/**
 * Conversions between proto-loader messages (snake_case, int64 as decimal
 * strings) and the store's types. Nothing here knows about SQL or revisions.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type Msg = Record<string, any>;

const EMPTY = Buffer.alloc(0);

function num(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  return typeof v === 'number' ? v : Number(v);
}

function big(v: unknown): bigint {
  if (v === undefined || v === null || v === '') return 0n;
  return typeof v === 'bigint' ? v : BigInt(v as string | number);
}

function buf(v: unknown): Buffer {
  return Buffer.isBuffer(v) ? v : v ? Buffer.from(v as Uint8Array) : EMPTY;
}

export function bigToWire(v: bigint): string | number {
  return v === 0n ? 0 : v.toString();
}

export function rangeRequest(m: Msg): RangeRequest {
  return {
    key: buf(m.key),
    rangeEnd: buf(m.range_end),
    limit: num(m.limit),
    revision: num(m.revision),
    sortOrder: m.sort_order ?? 'NONE',
    sortTarget: m.sort_target ?? 'KEY',
    serializable: !!m.serializable,
    keysOnly: !!m.keys_only,
    countOnly: !!m.count_only,
    minModRevision: num(m.min_mod_revision),
    maxModRevision: num(m.max_mod_revision),
    minCreateRevision: num(m.min_create_revision),
    maxCreateRevision: num(m.max_create_revision),
  };
}

export function putRequest(m: Msg): PutRequest {
  return {
    key: buf(m.key),
    value: buf(m.value),
    lease: big(m.lease),
    prevKv: !!m.prev_kv,
    ignoreValue: !!m.ignore_value,
    ignoreLease: !!m.ignore_lease,
  };
}

export function deleteRangeRequest(m: Msg): DeleteRangeRequest {
  return { key: buf(m.key), rangeEnd: buf(m.range_end), prevKv: !!m.prev_kv };
}

const UNION_FIELD = { VERSION: 'version', CREATE: 'create_revision', MOD: 'mod_revision', VALUE: 'value', LEASE: 'lease' } as const;

function compare(m: Msg): Compare {
  const target: Compare['target'] = m.target ?? 'VERSION';
  // etcd reads the operand only from the oneof member matching the target; anything else is 0.
  const set = m.target_union === UNION_FIELD[target];
  return {
    result: m.result ?? 'EQUAL',
    target,
    key: buf(m.key),
    rangeEnd: buf(m.range_end),
    number: set && target !== 'VALUE' ? big(m[UNION_FIELD[target]]) : 0n,
    value: set && target === 'VALUE' ? buf(m.value) : EMPTY,
  };
}

/** A RequestOp with no member set; etcd rejects it (see validate.ts). */
export const EMPTY_OP = Symbol('empty request op');

function requestOp(m: Msg): RequestOp | typeof EMPTY_OP {
  switch (m.request) {
    case 'request_range':
      return { range: rangeRequest(m.request_range) };
    case 'request_put':
      return { put: putRequest(m.request_put) };
    case 'request_delete_range':
      return { deleteRange: deleteRangeRequest(m.request_delete_range) };
    case 'request_txn':
      return { txn: txnRequest(m.request_txn) };
    default:
      return EMPTY_OP;
  }
}

export function txnRequest(m: Msg): TxnRequest {
  return {
    compare: (m.compare ?? []).map(compare),
    success: (m.success ?? []).map(requestOp),
    failure: (m.failure ?? []).map(requestOp),
  };
}

// --- responses ---

export function keyValue(kv: KeyValue): Msg {
  return {
    key: kv.key,
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: bigToWire(kv.lease),
  };
}

export function event(e: Event): Msg {
  const out: Msg = { type: e.type, kv: keyValue(e.kv) };
  if (e.prevKv) out.prev_kv = keyValue(e.prevKv);
  return out;
}

export function rangeResponse(r: RangeResponse, header: Msg): Msg {
  return { header, kvs: r.kvs.map(keyValue), more: r.more, count: r.count };
}

export function putResponse(r: PutResponse, header: Msg): Msg {
  return r.prevKv ? { header, prev_kv: keyValue(r.prevKv) } : { header };
}

export function deleteRangeResponse(r: DeleteRangeResponse, header: Msg): Msg {
  return { header, deleted: r.deleted, prev_kvs: r.prevKvs.map(keyValue) };
}

function responseOp(r: ResponseOp): Msg {
  // Responses nested in a txn carry a header with the revision only.
  if ('range' in r) return { response_range: rangeResponse(r.range, { revision: r.range.revision }) };
  if ('put' in r) return { response_put: putResponse(r.put, { revision: r.put.revision }) };
  if ('deleteRange' in r) return { response_delete_range: deleteRangeResponse(r.deleteRange, { revision: r.deleteRange.revision }) };
  return { response_txn: txnResponse(r.txn, { revision: r.txn.revision }) };
}

export function txnResponse(r: TxnResponse, header: Msg): Msg {
  return { header, succeeded: r.succeeded, responses: r.responses.map(responseOp) };
}
