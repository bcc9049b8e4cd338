import { Errors } from '../errors.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../types.js';
import { EMPTY_OP } from './wire/etcd-messages.js';
import { compileSelector } from '../selectors/selector.js';

/** Request checks etcd makes before a request reaches the store (v3rpc/key.go), in the same order. */

export function checkRange(r: RangeRequest): void {
  if (r.key.length === 0) throw Errors.emptyKey();
  // A bad push-down selector is refused here, before the request reaches a write batch.
  compileSelector(r);
}

export function checkPut(r: PutRequest): void {
  if (r.key.length === 0) throw Errors.emptyKey();
  if (r.ignoreValue && r.value.length !== 0) throw Errors.valueProvided();
  if (r.ignoreLease && r.lease !== 0n) throw Errors.leaseProvided();
}

export function checkDelete(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw Errors.emptyKey();
}

type MaybeOp = RequestOp | typeof EMPTY_OP;

export function checkTxn(r: TxnRequest, maxOps: number): void {
  checkTxnOps(r, maxOps);
  // Overlaps are checked once, from the top, after the cheap checks (as etcd does).
  checkIntervals(r.success);
  checkIntervals(r.failure);
}

/** `maxOps` is what is left for this op: a nested txn gets the parent's budget minus the parent's own ops. */
function checkOp(op: MaybeOp, maxOps: number): void {
  if (op === EMPTY_OP) throw Errors.keyNotFound();
  if ('range' in op) checkRange(op.range);
  else if ('put' in op) checkPut(op.put);
  else if ('deleteRange' in op) checkDelete(op.deleteRange);
  else checkTxnOps(op.txn, maxOps);
}

function checkTxnOps(r: TxnRequest, maxOps: number): void {
  const ops = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (ops > maxOps) throw Errors.tooManyOps();
  for (const c of r.compare) if (c.key.length === 0) throw Errors.emptyKey();
  for (const op of [...r.success, ...r.failure] as MaybeOp[]) checkOp(op, maxOps - ops);
}

/**
 * etcd's checkIntervals: within one branch a key may be written once; a put
 * may not fall in a range the same branch deletes. A nested txn's success and
 * failure branches are exclusive, so they may put the same key. Like etcd
 * (3.4 to 3.6), the delete interval compares its ends as plain bytes, so a
 * from-key delete (end "\0") overlaps nothing here; the store applies such a
 * txn in order, and a put that then finds its key gone fails cleanly.
 */
function checkIntervals(ops: RequestOp[]): { puts: Set<string>; dels: DeleteRangeRequest[] } {
  const dels: DeleteRangeRequest[] = [];
  for (const op of ops) if ('deleteRange' in op) dels.push(op.deleteRange);
  const deleted = (k: string) => dels.some((d) => overlaps(d, Buffer.from(k, 'latin1')));
  const puts = new Set<string>();
  for (const op of ops) {
    if (!('txn' in op)) continue;
    const then = checkIntervals(op.txn.success);
    const otherwise = checkIntervals(op.txn.failure);
    for (const k of then.puts) {
      if (puts.has(k) || deleted(k)) throw Errors.duplicateKey();
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || deleted(k)) throw Errors.duplicateKey();
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of ops) {
    if (!('put' in op)) continue;
    const k = op.put.key.toString('latin1');
    if (puts.has(k) || deleted(k)) throw Errors.duplicateKey();
    puts.add(k);
  }
  return { puts, dels };
}

function overlaps(del: DeleteRangeRequest, key: Buffer): boolean {
  if (del.rangeEnd.length === 0) return key.equals(del.key);
  return Buffer.compare(key, del.key) >= 0 && Buffer.compare(key, del.rangeEnd) < 0;
}
