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

/**
 * A backend's database server cannot be reached (down, restarting, cut off):
 * UNAVAILABLE, which clients retry. Unlike the other EtcdErrors it is not one
 * request's answer: inside a write batch it fails the whole batch, so that a
 * request is never committed with part of its writes (mvcc/store.ts).
 */
export class BackendUnavailableError extends EtcdError {
  constructor(message: string) {
    super(GrpcStatus.UNAVAILABLE, message);
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

/**
 * The store's own limits, which etcd does not have: RESOURCE_EXHAUSTED, with
 * a message naming the flag that sets the limit.
 */
export const LimitErrors = {
  tooManyLeases: (max: number) =>
    new EtcdError(
      GrpcStatus.RESOURCE_EXHAUSTED,
      `cnpaas-store: too many leases: the store already holds ${max} (--max-leases); revoke unused leases or raise --max-leases`,
    ),
} as const;

/**
 * A bad label or field selector on a Range or Watch (selector push-down):
 * INVALID_ARGUMENT with the store's code, the selector and the reason.
 */
export function badSelector(bad: { kind: 'label' | 'field'; selector: string; reason: string }): EtcdError {
  const code: StoreErrorCode = 'CNPAAS_STORE_BAD_SELECTOR';
  return new EtcdError(
    GrpcStatus.INVALID_ARGUMENT,
    `cnpaas-store: ${code}: invalid ${bad.kind} selector ${JSON.stringify(bad.selector)}: ${bad.reason}; ` +
      `write it as kubectl accepts it (docs/errors.md, ${code})`,
  );
}

/** mvcc-level watch errors; they travel in `cancel_reason`, not as gRPC status. */
export const WatchErrors = {
  duplicateId: 'mvcc: duplicate watch ID provided on the WatchStream',
  emptyRange: 'mvcc: watcher range is empty',
  /** A create refused by --max-watches-per-connection; the connection's other watchers carry on. */
  tooManyWatchers: (max: number) =>
    `cnpaas-store: too many watchers on this connection: ${max} already (--max-watches-per-connection); cancel unused watchers or raise --max-watches-per-connection`,
  /** A watcher cancelled because its stream fell behind; clients watch again from the last revision they received. */
  tooSlow: (max: number) =>
    `cnpaas-store: watcher canceled: the client fell more than ${max} bytes behind reading this watch stream (--max-watch-pending-bytes); watch again from the last revision received`,
} as const;

/**
 * The codes of `StoreError`, each with what it means and what to do about it
 * (the table docs/errors.md is made of, as every package's registry is). The
 * store keeps its own class below: it loads nothing of service-kit at run
 * time, where the other packages make theirs with its `defineErrors`.
 */
export const STORE_ERROR_CODES = {
  CNPAAS_STORE_BAD_FLAG: {
    meaning:
      'A command-line flag is unknown, missing or malformed (e.g. a --listen-client-urls entry that is not http://IP:PORT, https://IP:PORT or unix:///path).',
    fix: 'Run cnpaas-store --help for the flags, and correct the one named.',
  },
  CNPAAS_STORE_BAD_TOPOLOGY: {
    meaning:
      'The --topology file cannot be read, is not valid YAML, or a backend in it is malformed (name, endpoint, matcher).',
    fix: 'Correct the field the message names; packages/storage-shim/README.md describes the topology format.',
  },
  CNPAAS_STORE_LISTEN: {
    meaning: 'A listener (client or metrics) cannot bind its address.',
    fix: 'Pick a free port or a writable socket path, or stop the process that holds it.',
  },
  CNPAAS_STORE_INSECURE_LISTENER: {
    meaning:
      'A listener would accept clients without authentication where that is unsafe: plain TCP off loopback, metrics off loopback, or --client-cert-auth beside an http:// or unix:// listener.',
    fix: 'Listen on https:// with --cert-file, --key-file, --trusted-ca-file and --client-cert-auth, on a unix:// socket or on 127.0.0.1; pass the --insecure-allow-… flag the message names only if the network is guarded.',
  },
  CNPAAS_STORE_SOCKET_PATH: {
    meaning:
      'The unix:// socket path is taken: by something that is not a socket, by a live store, or it cannot be inspected.',
    fix: 'Stop the process that listens there, remove what is in the way if it is not needed, or choose another socket path.',
  },
  CNPAAS_STORE_TLS: {
    meaning:
      'An https:// listener lacks its certificate files, --client-cert-auth lacks --trusted-ca-file, or a file cannot be read.',
    fix: 'Pass readable PEM files with --cert-file and --key-file (and --trusted-ca-file for client certificates), or listen on http:// or unix://.',
  },
  CNPAAS_STORE_GRPC_IMPL: {
    meaning:
      'The lean gRPC path (--grpc-impl=lean) could not take over KV and Watch from grpc-js: the grpc-js in use keeps its HTTP/2 servers differently from the version the store was built against.',
    fix: 'Start the store with --grpc-impl=grpc-js (every method is then served by grpc-js), and install the grpc-js version the store pins.',
  },
  CNPAAS_STORE_DATA_DIR: {
    meaning: '--data-dir cannot be used (a file, or not creatable).',
    fix: 'Point --data-dir at a directory the store may create and own.',
  },
  CNPAAS_STORE_SCHEMA: {
    meaning: 'A database file has a schema version newer than this store understands.',
    fix: 'Run a cnpaas-store at least as new as the one that last wrote the file.',
  },
  CNPAAS_STORE_FOREIGN_SCHEMA: {
    meaning:
      "A backend's database (PostgreSQL, MySQL, MariaDB) holds something that is not the store's: tables of other programs and none of the store's, or a table of the store's name without the store's columns. The store refuses it rather than writing beside, or into, another program's data.",
    fix: 'Point the endpoint at an empty database (the store creates its tables) or at one this store created; give the store a database of its own.',
  },
  CNPAAS_STORE_MISSING_TABLE: {
    meaning:
      "A backend's database has the store's schema version recorded but one of its tables (kv, history, meta) is gone, or (PostgreSQL, whose migrations are all or nothing) some of its tables without the rest: it was changed outside the store, and its data is incomplete. Also the main database of replicas (--main-endpoint) whose meta row `last_revision`, the lock that orders every replica's writes, is gone: every write is refused until it is back.",
    fix: "Restore the database from a backup, or point the endpoint at an empty database and copy the keys in again. For a lost `last_revision` row: stop every replica and insert it again with the highest mod_revision that kv and history hold (the error's hint has the statement).",
  },
  CNPAAS_STORE_BACKEND_CONNECT: {
    meaning:
      "A backend's database server (PostgreSQL, MySQL, MariaDB) cannot be reached at start-up, or refuses the login. The message names the endpoint without its password.",
    fix: "Check that the server runs and that the host, port, database, user and password of the topology's endpoint are right (and sslmode, or tls for MySQL, if the server demands TLS).",
  },
  CNPAAS_STORE_BACKEND_CREDENTIALS: {
    meaning:
      "A backend's password could not be read when it opened: its `passwordFile` is missing, unreadable or empty, or its `passwordEnv` variable is unset or empty. The message names the backend, the file or variable, never the password.",
    fix: "Create the file (readable by the store) or set the variable in the store's environment, or correct the topology's passwordFile/passwordEnv (--main-password-file/--main-password-env for --main-endpoint).",
  },
  CNPAAS_STORE_BACKEND_TLS: {
    meaning:
      "A file named by a backend's `backendTLS` (caFile, certFile, keyFile) could not be read when the backend opened.",
    fix: 'Create the file (readable by the store) or correct the path in the topology.',
  },
  CNPAAS_STORE_TOPOLOGY_RELOAD: {
    meaning:
      'A topology reload (SIGHUP) was refused: no --topology at start, an existing backend changed or removed, or existing keys would move to another backend. The store keeps the topology it has.',
    fix: 'Only append new backends at the end, leaving the existing ones as they were, and route a resource before its objects are created; restart with --topology FILE if the store was started without one.',
  },
  CNPAAS_STORE_TOPOLOGY_MOVES_KEYS: {
    meaning:
      'The topology the store starts with (or the one a replica records with --replace-topology) routes keys that are already stored to another backend than the one holding them. A read would not find them and a write would make a second copy, so the store refuses to start; it moves no data between backends. Checked whenever the routing differs from the one the data was last served under. The message names each backend, how many of its keys are affected, and the first of them with the backend they would be looked for in.',
    fix: 'Start with the topology those keys were written under. To give a resource a backend of its own, route it before its objects are created; to move existing objects, copy them to the new backend while the old topology still serves them, then switch.',
  },
  CNPAAS_STORE_REPLICA_TOPOLOGY: {
    meaning:
      "Replicas (--main-endpoint) and the topology do not fit together: a routed backend is a SQLite file, which replicas on other hosts cannot share; RevisionStore.reloadTopology called on a replica by a program that embeds the store (cnpaas-store itself answers SIGHUP with the check of CNPAAS_STORE_REPLICA_TOPOLOGY_MISMATCH); or a revision another replica logged for a backend this replica's topology lacks.",
    fix: 'Put every routed backend in PostgreSQL, MySQL or MariaDB (or run one store without --main-endpoint to keep SQLite files), and give every replica the same --topology file.',
  },
  CNPAAS_STORE_REPLICA_TOPOLOGY_MISMATCH: {
    meaning:
      "A replica's topology routes keys unlike the one recorded in the main database (--main-endpoint) by the replicas that share it: a backend added, missing or in another order, claiming other keys, or in another database (scheme, user, host, port or database; passwords, TLS and connectionPool do not count). The message names each backend that differs. Raised at start-up (the replica starts nothing), by a SIGHUP reload whose file now routes keys differently (the replica keeps its routes), and by a running replica after another one replaced the recorded topology with --replace-topology (it takes no more requests, stops and exits with code 2).",
    fix: 'Start the replica with the same topology file as the running replicas. To change the topology of all of them: stop every replica, change every replica\'s file, start one with --replace-topology and the others as usual (docs/replicas.md, "Changing the topology").',
  },
  CNPAAS_STORE_DATA_DIR_LOCKED: {
    meaning:
      'Another cnpaas-store process already runs on this --data-dir. main.db and meta.db are local files that one process owns: two stores on one data dir would each take revisions of their own.',
    fix: 'Stop the other store first, or give each store its own --data-dir. To run several stores on the same data, put the main backend in a network database with --main-endpoint (docs/replicas.md).',
  },
  CNPAAS_STORE_SQLITE_WORKER_LABEL_INDEX: {
    meaning:
      "A SQLite backend's endpoint asks for the worker thread (`sqlite://file.db?thread=worker`) while the store runs with --label-index=on. The worker variant keeps no label index, and a label-selected Range on it would scan, unlike every other SQLite backend of the store.",
    fix: 'Drop ?thread=worker from the endpoint to keep the label index on that backend, or start the store with --label-index=off.',
  },
  CNPAAS_STORE_FSYNC_FAILED: {
    meaning:
      "Making a SQLite file's committed writes durable (an fdatasync of its `-wal` file) failed, e.g. on an I/O error or a full or vanished disk. The writes waiting for it were not acknowledged, and the store takes no more writes: after a failed sync the kernel may have dropped the data, and a later sync could report success without it.",
    fix: 'Check the disk and the file system under the data dir (the message names the file and the error), then restart the store; it starts from what is on disk.',
  },
  CNPAAS_STORE_BAD_SELECTOR: {
    meaning:
      'A Range or Watch request carried a label or field selector (selector push-down, sent by a kube-apiserver built with it) that is not valid Kubernetes selector syntax. The request is answered with INVALID_ARGUMENT naming the selector and what is wrong in it.',
    fix: 'Send the selector in the form kubectl accepts (`-l`, `--field-selector`): labels `key=value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key`, `!key`, `key>1`, `key<1`; fields `path=value`, `path!=value`, with `\\\\`, `\\,` and `\\=` escaping those characters in a value.',
  },
};

export type StoreErrorCode = keyof typeof STORE_ERROR_CODES;

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
