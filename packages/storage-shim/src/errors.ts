import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * The error registry of the store.
 *
 * Two families live here:
 * - `EtcdError`: errors a client sees over gRPC. The message text is etcd's,
 *   byte for byte: clientv3 and kube-apiserver map errors back by message.
 * - `StoreError`: start-up and configuration errors for the person running the
 *   store, with a stable `CNPAAS_STORE_*` code and a hint on how to fix it.
 */
export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
  }
}

function etcd(code: GrpcStatus, message: string): () => EtcdError {
  return () => new EtcdError(code, message);
}

export const Errors = {
  compacted: etcd(GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRevision: etcd(GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  leaseNotFound: etcd(GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExists: etcd(GrpcStatus.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTtlTooLarge: etcd(GrpcStatus.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  emptyKey: etcd(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  keyNotFound: etcd(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: etcd(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: etcd(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: etcd(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  duplicateKey: etcd(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  requestTooLarge: etcd(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  noSpace: etcd(GrpcStatus.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),
  authNotEnabled: etcd(GrpcStatus.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'),
  notCapable: etcd(GrpcStatus.UNAVAILABLE, 'etcdserver: not capable'),
  stopped: etcd(GrpcStatus.UNAVAILABLE, 'etcdserver: server stopped'),
} as const;

/** mvcc-level watch errors; they travel in `cancel_reason`, not as gRPC status. */
export const WatchErrors = {
  duplicateId: 'mvcc: duplicate watch ID provided on the WatchStream',
  emptyRange: 'mvcc: watcher range is empty',
} as const;

export type StoreErrorCode =
  | 'CNPAAS_STORE_BAD_FLAG'
  | 'CNPAAS_STORE_BAD_TOPOLOGY'
  | 'CNPAAS_STORE_BAD_ENDPOINT'
  | 'CNPAAS_STORE_LISTEN'
  | 'CNPAAS_STORE_INSECURE_LISTENER'
  | 'CNPAAS_STORE_SOCKET_PATH'
  | 'CNPAAS_STORE_TLS'
  | 'CNPAAS_STORE_DATA_DIR'
  | 'CNPAAS_STORE_SCHEMA'
  | 'CNPAAS_STORE_TOPOLOGY_RELOAD';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  /** The text shown to a person: what went wrong, then what to do. */
  describe(): string {
    return this.hint ? `${this.code}: ${this.message}\n  fix: ${this.hint}` : `${this.code}: ${this.message}`;
  }
}
