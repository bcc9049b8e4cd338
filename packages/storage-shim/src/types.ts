/** The store's own data types. The gRPC layer converts protos to and from these. */

export interface KeyValue {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Buffer;
  /** Lease IDs are 64-bit; a JS number would lose the low bits. */
  lease: bigint;
}

export type EventType = 'PUT' | 'DELETE';

export interface Event {
  type: EventType;
  /** For DELETE: only `key` and `modRevision` are set, like etcd. */
  kv: KeyValue;
  /** The key's state at `kv.modRevision - 1`, absent for creates. */
  prevKv?: KeyValue | undefined;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface RangeRequest {
  key: Buffer;
  /** Empty: a single key. `\0`: every key >= key. */
  rangeEnd: Buffer;
  limit: number;
  revision: number;
  sortOrder: SortOrder;
  sortTarget: SortTarget;
  serializable: boolean;
  keysOnly: boolean;
  countOnly: boolean;
  minModRevision: number;
  maxModRevision: number;
  minCreateRevision: number;
  maxCreateRevision: number;
  /**
   * Selector push-down (fields 14 and 15, as HariKube's patched
   * kube-apiserver sends them): Kubernetes label and field selector strings.
   * Absent or empty: no selector. See src/selectors/.
   */
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * A RangeRequest with etcd's defaults (every field zero, as a decoder sees an
 * empty message) and the given fields set: the one place the defaults live.
 */
export function rangeRequest(fields: Partial<RangeRequest> = {}): RangeRequest {
  return {
    key: Buffer.alloc(0),
    rangeEnd: Buffer.alloc(0),
    limit: 0,
    revision: 0,
    sortOrder: 'NONE',
    sortTarget: 'KEY',
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
    ...fields,
  };
}

export interface RangeResponse {
  revision: number;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface PutRequest {
  key: Buffer;
  value: Buffer;
  lease: bigint;
  prevKv: boolean;
  ignoreValue: boolean;
  ignoreLease: boolean;
}

export interface PutResponse {
  revision: number;
  prevKv?: KeyValue | undefined;
}

export interface DeleteRangeRequest {
  key: Buffer;
  rangeEnd: Buffer;
  prevKv: boolean;
}

export interface DeleteRangeResponse {
  revision: number;
  deleted: number;
  prevKvs: KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Buffer;
  rangeEnd: Buffer;
  /** VERSION, CREATE, MOD and LEASE compare numbers; VALUE compares bytes. */
  number: bigint;
  value: Buffer;
}

export type RequestOp =
  { range: RangeRequest } | { put: PutRequest } | { deleteRange: DeleteRangeRequest } | { txn: TxnRequest };

export type ResponseOp =
  { range: RangeResponse } | { put: PutResponse } | { deleteRange: DeleteRangeResponse } | { txn: TxnResponse };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  /** 0 for nested transactions, like etcd. */
  revision: number;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface LeaseInfo {
  id: bigint;
  ttl: number;
  grantedTtl: number;
  keys: Buffer[];
}
