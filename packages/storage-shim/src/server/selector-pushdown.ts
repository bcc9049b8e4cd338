import type { RangeRequest, TxnRequest } from '../types.js';

/**
 * --selector-pushdown=off: the store answers as etcd does, which ignores the
 * selector fields; kube-apiserver then filters everything itself. The fields
 * are removed from the decoded request before anything reads them.
 */
export function dropRangeSelectors(req: RangeRequest): void {
  delete req.labelSelector;
  delete req.fieldSelector;
}

/** The same for every Range of a txn, nested txns included. */
export function dropTxnSelectors(txn: TxnRequest): void {
  for (const op of [...txn.success, ...txn.failure]) {
    // A member-less op (rejected later by validation) has none.
    if (typeof op !== 'object') continue;
    if ('range' in op) dropRangeSelectors(op.range);
    else if ('txn' in op) dropTxnSelectors(op.txn);
  }
}
