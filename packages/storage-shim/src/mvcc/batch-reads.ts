import type { Router } from '../routing/router.js';
import type { DeleteRangeRequest, PutRequest, TxnRequest } from '../types.js';
import type { BackendDriver } from './backend.js';

/** The requests of a batch that read keys while they are applied. */
export type ReadingWrite =
  | { kind: 'put'; req: PutRequest }
  | { kind: 'deleteRange'; req: DeleteRangeRequest }
  | { kind: 'txn'; req: TxnRequest }
  | { kind: 'leaseGrant' | 'leaseRevoke' };

/**
 * Walks the keys a write names one at a time: a put's key, a delete or a
 * range of one key, a compare of one key, through nested transactions and
 * both branches of each (which one runs is known only once its compares are
 * read). `presumed` says the request takes the key to exist (see
 * SingleKeys). A request over a range of several keys goes to `onRange`;
 * the walk stops, answering false, when that answers false.
 */
function walkKeys(op: ReadingWrite, onKey: (key: Buffer, presumed: boolean) => void, onRange: () => boolean): boolean {
  switch (op.kind) {
    case 'put':
      onKey(op.req.key, false);
      return true;
    case 'deleteRange':
      if (op.req.rangeEnd.length > 0) return onRange();
      onKey(op.req.key, true);
      return true;
    case 'txn':
      return walkTxn(op.req, onKey, onRange);
    default:
      return true;
  }
}

function walkTxn(txn: TxnRequest, onKey: (key: Buffer, presumed: boolean) => void, onRange: () => boolean): boolean {
  for (const c of txn.compare) {
    if (c.rangeEnd.length > 0) {
      if (!onRange()) return false;
      continue;
    }
    // Only "version, create or mod revision equal to 0" matches a key with no row.
    const absentMatches = c.target !== 'VALUE' && c.target !== 'LEASE' && c.result === 'EQUAL' && c.number === 0n;
    onKey(c.key, !absentMatches);
  }
  for (const r of [...txn.success, ...txn.failure]) {
    if ('txn' in r) {
      if (!walkTxn(r.txn, onKey, onRange)) return false;
    } else if ('put' in r) {
      onKey(r.put.key, false);
    } else {
      const req = 'range' in r ? r.range : r.deleteRange;
      if (req.rangeEnd.length > 0) {
        if (!onRange()) return false;
      } else onKey(req.key, 'deleteRange' in r);
    }
  }
  return true;
}

/**
 * The keys a write reads one at a time while it is applied (write-view.ts):
 * a put reads its key's current version; a compare, a range or a delete of
 * one key reads that key. Ranges of several keys are read as ranges and are
 * not listed.
 */
export function keysRead(op: ReadingWrite, out: Buffer[] = []): Buffer[] {
  walkKeys(
    op,
    (key) => out.push(key),
    () => true,
  );
  return out;
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
  if (op.kind === 'leaseGrant' || op.kind === 'leaseRevoke') return undefined;
  const out: SingleKeys = { keys: [], presumed: [] };
  const whole = walkKeys(
    op,
    (key, presumed) => {
      out.keys.push(key);
      if (presumed) out.presumed.push(key);
    },
    () => false,
  );
  return whole ? out : undefined;
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
