import type { KeyRange } from './keys.js';
import type { Change } from './mvcc/txn.js';
import type { Revision } from './mvcc/store.js';
import type * as etcd from './types.js';

/**
 * The narrow interface the gRPC surface uses. Everything below it (revision
 * store, routing, SQLite files) can change without touching a handler.
 */
export interface Backend {
  readonly revision: number;
  readonly compactRevision: number;
  readonly memberId: string;
  readonly clusterId: string;

  range(req: etcd.RangeRequest): etcd.RangeResponse | Promise<etcd.RangeResponse>;
  put(req: etcd.PutRequest): Promise<etcd.PutResponse>;
  deleteRange(req: etcd.DeleteRangeRequest): Promise<etcd.DeleteRangeResponse>;
  txn(req: etcd.TxnRequest): etcd.TxnResponse | Promise<etcd.TxnResponse>;
  compact(revision: number, physical: boolean): Promise<void>;

  /**
   * Replicas: catches up with the revisions other store processes committed
   * (docs/replicas.md), as a linearizable read does; absent or a no-op otherwise.
   */
  sync?(): void;

  changes(range: KeyRange, from: number, to: number, withPrev: boolean): Change[];
  onCommit(listener: (revisions: Revision[]) => void): () => void;
  /**
   * Replicas: called with the compact revision when another process compacted
   * history this one had not delivered yet (it lagged behind the compaction).
   */
  onCompactedAhead?(listener: (compactRevision: number) => void): () => void;

  leaseGrant(id: bigint, ttl: number): Promise<{ id: bigint; ttl: number }>;
  leaseRevoke(id: bigint): Promise<{ revision: number } | void>;
  /** The lease's TTL, 0 if it does not exist; a promise while a revoke of it is still committing. */
  leaseRenew(id: bigint): number | Promise<number>;
  leaseTimeToLive(id: bigint, withKeys: boolean): etcd.LeaseInfo | undefined;
  leases(): bigint[];

  size(): { total: number; inUse: number };
  defragment(): void;
  hashKv(revision: number): { hash: number; revision: number };
}
