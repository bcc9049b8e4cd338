import { Errors } from '../errors.js';
import { type KeyRange, toKeyRange } from '../keys.js';
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../types.js';
import { rangeRequest } from '../types.js';

/** One key change inside a revision, in the order the transaction made it. */
export interface Change {
  backend: string;
  type: 'put' | 'delete';
  /** For a delete: key and modRevision only, like etcd's delete events. */
  kv: KeyValue;
  /** The key's state before this revision (etcd reads it at modRevision - 1). */
  prevKv: KeyValue | undefined;
  sub: number;
}

/** What a write transaction can see and do; the revision store implements it. */
export interface TxnView {
  /** The revision before this transaction. */
  readonly beginRevision: number;
  readonly compactRevision: number;
  readonly changes: readonly Change[];
  get(key: Buffer): KeyValue | undefined;
  range(req: RangeRequest, revision: number): Omit<RangeResponse, 'revision'>;
  /** The same without blocking the event loop, where every backend of the range reads asynchronously. */
  rangeAsync?(req: RangeRequest, revision: number): Promise<Omit<RangeResponse, 'revision'>>;
  leaseExists(id: bigint): boolean;
  put(key: Buffer, value: Buffer, lease: bigint): void;
  /** Deletes the live keys of `range` in key order; returns their previous values. */
  deleteRange(range: KeyRange): KeyValue[];
}

/** The revision reads inside a transaction see: its own writes included. */
function readRevision(view: TxnView): number {
  return view.beginRevision + (view.changes.length > 0 ? 1 : 0);
}

// --- compares (etcd apply.go applyCompare / compareKV) ---

const ZERO_KV: KeyValue = {
  key: Buffer.alloc(0),
  createRevision: 0,
  modRevision: 0,
  version: 0,
  value: Buffer.alloc(0),
  lease: 0n,
};

function compareOne(c: Compare, kv: KeyValue): boolean {
  let result: number;
  switch (c.target) {
    case 'VALUE':
      result = Buffer.compare(kv.value, c.value);
      break;
    case 'CREATE':
      result = cmpBig(BigInt(kv.createRevision), c.number);
      break;
    case 'MOD':
      result = cmpBig(BigInt(kv.modRevision), c.number);
      break;
    case 'VERSION':
      result = cmpBig(BigInt(kv.version), c.number);
      break;
    case 'LEASE':
      result = cmpBig(kv.lease, c.number);
      break;
  }
  switch (c.result) {
    case 'EQUAL':
      return result === 0;
    case 'NOT_EQUAL':
      return result !== 0;
    case 'GREATER':
      return result > 0;
    case 'LESS':
      return result < 0;
  }
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareHolds(view: TxnView, c: Compare): boolean {
  const kvs =
    c.rangeEnd.length === 0
      ? [view.get(c.key)].filter((kv): kv is KeyValue => kv !== undefined)
      : view.range(rangeRequest({ key: c.key, rangeEnd: c.rangeEnd }), readRevision(view)).kvs;
  // A missing key has no value to compare: always false, as in etcd.
  if (kvs.length === 0) return c.target === 'VALUE' ? false : compareOne(c, ZERO_KV);
  return kvs.every((kv) => compareOne(c, kv));
}

/**
 * Every compare of the transaction, nested ones included, is evaluated against
 * the state before any of its operations run (etcd's compareToPath).
 */
function comparePath(view: TxnView, txn: TxnRequest): boolean[] {
  const path = [txn.compare.every((c) => compareHolds(view, c))];
  for (const op of path[0] ? txn.success : txn.failure) {
    if ('txn' in op) path.push(...comparePath(view, op.txn));
  }
  return path;
}

/** Walks the ops the path selects; returns how many path entries it consumed. */
function walkPath(txn: TxnRequest, path: boolean[], visit: (op: RequestOp) => void): number {
  let used = 1;
  for (const op of path[0] ? txn.success : txn.failure) {
    if ('txn' in op) used += walkPath(op.txn, path.slice(used), visit);
    else visit(op);
  }
  return used;
}

function checkRange(view: TxnView, req: RangeRequest): void {
  if (req.revision === 0) return;
  if (req.revision > view.beginRevision) throw Errors.futureRevision();
  if (req.revision < view.compactRevision) throw Errors.compacted();
}

function checkPut(view: TxnView, req: PutRequest): void {
  if ((req.ignoreValue || req.ignoreLease) && !view.get(req.key)) throw Errors.keyNotFound();
  if (req.lease !== 0n && !view.leaseExists(req.lease)) throw Errors.leaseNotFound();
}

export function isReadOnly(txn: TxnRequest): boolean {
  return [...txn.success, ...txn.failure].every((op) => 'range' in op || ('txn' in op && isReadOnly(op.txn)));
}

// --- operations ---

export function applyRange(view: TxnView, req: RangeRequest): RangeResponse {
  const { current, revision } = rangeRevision(view, req);
  return { ...view.range(req, revision), revision: current };
}

/** `applyRange` through the view's asynchronous reads (TxnView.rangeAsync). */
export async function applyRangeAsync(view: TxnView, req: RangeRequest): Promise<RangeResponse> {
  const { current, revision } = rangeRevision(view, req);
  return { ...(await view.rangeAsync!(req, revision)), revision: current };
}

/** The revision a Range reads at, refused when it is in the future or compacted; `current` heads the answer. */
function rangeRevision(view: TxnView, req: RangeRequest): { current: number; revision: number } {
  const current = readRevision(view);
  const revision = req.revision <= 0 ? current : req.revision;
  if (revision > current) throw Errors.futureRevision();
  if (revision < view.compactRevision) throw Errors.compacted();
  return { current, revision };
}

export function applyPut(view: TxnView, req: PutRequest): PutResponse {
  const needPrev = req.ignoreValue || req.ignoreLease || req.prevKv;
  const prev = needPrev ? view.get(req.key) : undefined;
  if ((req.ignoreValue || req.ignoreLease) && !prev) throw Errors.keyNotFound();
  const value = req.ignoreValue ? prev!.value : req.value;
  const lease = req.ignoreLease ? prev!.lease : req.lease;
  view.put(req.key, value, lease);
  return { revision: view.beginRevision + 1, prevKv: req.prevKv ? prev : undefined };
}

export function applyDeleteRange(view: TxnView, req: DeleteRangeRequest): DeleteRangeResponse {
  const deleted = view.deleteRange(toKeyRange(req.key, req.rangeEnd));
  const revision = deleted.length > 0 || view.changes.length > 0 ? view.beginRevision + 1 : view.beginRevision;
  return { revision, deleted: deleted.length, prevKvs: req.prevKv ? deleted : [] };
}

/** A standalone Put: lease first, then the ignore_* rules (etcd's order). */
export function applyStandalonePut(view: TxnView, req: PutRequest): PutResponse {
  if (req.lease !== 0n && !view.leaseExists(req.lease)) throw Errors.leaseNotFound();
  return applyPut(view, req);
}

export function applyTxn(view: TxnView, txn: TxnRequest): TxnResponse {
  const path = comparePath(view, txn);
  const write = !isReadOnly(txn);
  if (write) {
    walkPath(txn, path, (op) => {
      if ('put' in op) checkPut(view, op.put);
    });
  }
  walkPath(txn, path, (op) => {
    if ('range' in op) checkRange(view, op.range);
  });
  const response = run(view, txn, path);
  return { ...response, revision: readRevision(view) };
}

function run(view: TxnView, txn: TxnRequest, path: boolean[]): TxnResponse {
  const succeeded = path[0]!;
  const responses: ResponseOp[] = [];
  let used = 1;
  for (const op of succeeded ? txn.success : txn.failure) {
    if ('range' in op) responses.push({ range: applyRange(view, op.range) });
    else if ('put' in op) responses.push({ put: applyPut(view, op.put) });
    else if ('deleteRange' in op) responses.push({ deleteRange: applyDeleteRange(view, op.deleteRange) });
    else {
      const nestedPath = path.slice(used);
      used += walkPath(op.txn, nestedPath, () => {});
      // Nested transactions answer with an empty header (revision 0), like etcd.
      responses.push({ txn: { ...run(view, op.txn, nestedPath), revision: 0 } });
    }
  }
  return { revision: 0, succeeded, responses };
}
