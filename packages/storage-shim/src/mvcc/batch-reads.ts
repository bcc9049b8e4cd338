import type { Router } from '../routing/router.js';
import type { DeleteRangeRequest, PutRequest, RequestOp, TxnRequest } from '../types.js';
import type { BackendDriver } from './backend.js';

/** The requests of a batch that read keys while they are applied. */
export type ReadingWrite =
  | { kind: 'put'; req: PutRequest }
  | { kind: 'deleteRange'; req: DeleteRangeRequest }
  | { kind: 'txn'; req: TxnRequest }
  | { kind: 'leaseGrant' | 'leaseRevoke' };

/**
 * The keys a write reads one at a time while it is applied (write-view.ts):
 * a put reads its key's current version; a compare, a range or a delete of
 * one key reads that key. Both branches of a transaction count, since which
 * one runs is known only once its compares are read. Ranges of several keys
 * are read as ranges and are not listed.
 */
export function keysRead(op: ReadingWrite, out: Buffer[] = []): Buffer[] {
  switch (op.kind) {
    case 'put':
      out.push(op.req.key);
      break;
    case 'deleteRange':
      if (op.req.rangeEnd.length === 0) out.push(op.req.key);
      break;
    case 'txn':
      txnKeys(op.req, out);
      break;
    default:
      break;
  }
  return out;
}

function txnKeys(txn: TxnRequest, out: Buffer[]): void {
  for (const c of txn.compare) if (c.rangeEnd.length === 0) out.push(c.key);
  for (const op of [...txn.success, ...txn.failure]) opKeys(op, out);
}

function opKeys(op: RequestOp, out: Buffer[]): void {
  if ('put' in op) out.push(op.put.key);
  else if ('deleteRange' in op) {
    if (op.deleteRange.rangeEnd.length === 0) out.push(op.deleteRange.key);
  } else if ('range' in op) {
    if (op.range.rangeEnd.length === 0) out.push(op.range.key);
  } else txnKeys(op.txn, out);
}

/** What a write of single keys touches (`singleKeys`). */
export interface SingleKeys {
  /** Every key it reads or writes. */
  keys: Buffer[];
  /**
   * Those it takes to exist: deleted, or compared as only an existing key
   * could match (a version, create or mod revision other than 0, a value, a
   * lease). An optimistic batch that knows nothing of such a key does not
   * guess it has no row: its guard would be refused.
   */
  presumed: Buffer[];
}

/**
 * What `op` touches, when it is a put, a delete of one key, or a
 * transaction whose compares and requests all name one key. Undefined when
 * it touches a range, or is not a key write at all (a lease's grant or
 * revoke): what an optimistic batch cannot take.
 */
export function singleKeys(op: ReadingWrite): SingleKeys | undefined {
  switch (op.kind) {
    case 'put':
      return { keys: [op.req.key], presumed: [] };
    case 'deleteRange':
      return op.req.rangeEnd.length === 0 ? { keys: [op.req.key], presumed: [op.req.key] } : undefined;
    case 'txn': {
      const out: SingleKeys = { keys: [], presumed: [] };
      return singleKeysOfTxn(op.req, out) ? out : undefined;
    }
    default:
      return undefined;
  }
}

function singleKeysOfTxn(txn: TxnRequest, out: SingleKeys): boolean {
  for (const c of txn.compare) {
    if (c.rangeEnd.length > 0) return false;
    out.keys.push(c.key);
    const absentMatches = c.target !== 'VALUE' && c.target !== 'LEASE' && c.result === 'EQUAL' && c.number === 0n;
    if (!absentMatches) out.presumed.push(c.key);
  }
  for (const r of [...txn.success, ...txn.failure]) {
    if ('txn' in r) {
      if (!singleKeysOfTxn(r.txn, out)) return false;
    } else if ('put' in r) {
      out.keys.push(r.put.key);
    } else {
      const req = 'range' in r ? r.range : r.deleteRange;
      if (req.rangeEnd.length > 0) return false;
      out.keys.push(req.key);
      if ('deleteRange' in r) out.presumed.push(req.key);
    }
  }
  return true;
}

/** The keys `ops` will read, by the backend that holds them, for the backends that load ahead. */
export function keysByBackend(options: {
  ops: readonly ReadingWrite[];
  drivers: ReadonlyMap<string, BackendDriver>;
  router: Router;
}): Map<BackendDriver, Buffer[]> {
  const byBackend = new Map<BackendDriver, Buffer[]>();
  for (const op of options.ops) {
    for (const key of keysRead(op)) {
      const driver = options.drivers.get(options.router.backendFor(key));
      if (!driver?.prefetch) continue;
      let keys = byBackend.get(driver);
      if (!keys) byBackend.set(driver, (keys = []));
      keys.push(key);
    }
  }
  return byBackend;
}

/**
 * Loads what `ops` will read from every backend that can load ahead
 * (BackendDriver.prefetch), all at once; undefined when none of them holds
 * a key the batch reads, so a batch on SQLite files alone stays synchronous.
 */
export function prefetchBatch(options: {
  ops: readonly ReadingWrite[];
  drivers: ReadonlyMap<string, BackendDriver>;
  router: Router;
}): Promise<void> | undefined {
  const byBackend = keysByBackend(options);
  if (byBackend.size === 0) return undefined;
  return Promise.all([...byBackend].map(([driver, keys]) => driver.prefetch!(keys))).then(() => undefined);
}
