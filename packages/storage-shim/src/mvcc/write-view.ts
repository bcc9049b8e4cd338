import { toKeyRange } from '../keys.js';
import type { Router } from '../routing/router.js';
import type { BackendDriver } from './backend.js';
import { type KeyValue, type RangeRequest, rangeRequest } from '../types.js';
import type { PageCounts } from './page-counts.js';
import { type AsyncReader, type CommittedRead, rangeAt, rangeAtAsync } from './range.js';
import type { Change, TxnView } from './txn.js';

export interface WriteViewOptions {
  /** The store's revision before this request. */
  begin: number;
  compactRevision: number;
  /** Filled in as the request writes; its length is the next sub-revision. */
  changes: Change[];
  drivers: ReadonlyMap<string, BackendDriver>;
  router: Router;
  leaseExists(id: bigint): boolean;
  /**
   * Read every key at `begin` explicitly, even as of now: set for reads of
   * replicas, whose databases may already hold another process's newer rows.
   */
  pinned?: boolean;
  /**
   * A read view's (no batch, so its state is a committed revision): the counts of list pages' continuations
   * (page-counts.ts). A batch's view must not have it.
   */
  pageCounts?: PageCounts;
}

/** A delete event's kv: only the key and the revision, as etcd sends it. */
export function deleteKv(key: Buffer, modRevision: number): KeyValue {
  return { key, modRevision, createRevision: 0, version: 0, value: Buffer.alloc(0), lease: 0n };
}

/**
 * What one request sees and does inside a group commit: reads go to the
 * routed files (and see the batch's uncommitted writes), writes go to the file
 * each key routes to, and every change is recorded with the key's state from
 * before the request, which is what etcd reports as a watch event's prev_kv.
 */
export function writeView(options: WriteViewOptions): TxnView {
  const { begin, changes, drivers, router } = options;
  const rev = begin + 1;
  const preState = new Map<string, KeyValue | undefined>();
  const before = (key: Buffer, current: KeyValue | undefined) => {
    const k = key.toString('latin1');
    if (!preState.has(k)) preState.set(k, current);
    return preState.get(k);
  };
  const driverOf = (key: Buffer) => {
    const backend = router.backendFor(key);
    return { backend, driver: drivers.get(backend)! };
  };

  /** The files a range reads, and at which revision: null (as of now) unless it is older or the view is pinned. */
  const target = (req: RangeRequest, revision: number) => {
    const range = toKeyRange(req.key, req.rangeEnd);
    const current = begin + (changes.length > 0 ? 1 : 0);
    const files = router.backendsFor(range).map((n) => drivers.get(n)!);
    const historical = revision >= current && !options.pinned ? null : revision;
    const committed: CommittedRead | undefined =
      options.pageCounts && changes.length === 0 ? { revision, counts: options.pageCounts } : undefined;
    return { range, files, historical, committed };
  };

  return {
    beginRevision: begin,
    compactRevision: options.compactRevision,
    changes,
    leaseExists: (id) => options.leaseExists(id),
    get: (key) =>
      options.pinned
        ? driverOf(key).driver.range({ start: key, end: null }, begin, 1)[0]
        : driverOf(key).driver.get(key),
    range(req, revision) {
      const { range, files, historical, committed } = target(req, revision);
      return rangeAt(files, req, range, historical, committed);
    },
    rangeAsync(req, revision) {
      const { range, files, historical, committed } = target(req, revision);
      if (!files.every(readsAsync)) throw new Error('rangeAsync over a backend that reads only synchronously');
      return rangeAtAsync(files, req, range, historical, committed);
    },
    put(key, value, lease) {
      const { backend, driver } = driverOf(key);
      driver.begin();
      const prev = driver.get(key);
      const kv: KeyValue = {
        key,
        value,
        lease,
        modRevision: rev,
        createRevision: prev ? prev.createRevision : rev,
        version: prev ? prev.version + 1 : 1,
      };
      const sub = changes.length;
      driver.put(kv, sub, prev);
      changes.push({ backend, type: 'put', kv, prevKv: before(key, prev), sub });
    },
    deleteRange(range) {
      const names = range.end === null ? [router.backendFor(range.start)] : router.backendsFor(range);
      const all = rangeRequest({ key: range.start, rangeEnd: range.end ?? Buffer.alloc(0) });
      const live = rangeAt(
        names.map((n) => drivers.get(n)!),
        all,
        range,
        null,
      ).kvs;
      for (const prev of live) {
        const { backend, driver } = driverOf(prev.key);
        driver.begin();
        const sub = changes.length;
        driver.delete(prev.key, rev, sub);
        changes.push({ backend, type: 'delete', kv: deleteKv(prev.key, rev), prevKv: before(prev.key, prev), sub });
      }
      return live;
    },
  };
}

/** Whether a backend reads without blocking the event loop (a network database). */
export function readsAsync(driver: BackendDriver): driver is BackendDriver & AsyncReader {
  return driver.rangeAsync !== undefined && driver.countAsync !== undefined;
}
