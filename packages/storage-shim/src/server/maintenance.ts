import * as grpc from '@grpc/grpc-js';
import { type ServiceContext, unary, unimplemented } from './context.js';
import type { HashKvRequest } from './requests.js';

/**
 * The etcd version Status reports. kube-apiserver enables RequestWatchProgress
 * and consistent reads from cache only for >= 3.5.13, and the store implements
 * watch progress the way 3.6 does.
 */
export const EMULATED_ETCD_VERSION = '3.6.4';

/** etcdserverpb.Maintenance: Status, Alarm, Defragment, Hash, HashKV. */
export function maintenanceService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  const { backend, headers } = ctx;
  return {
    Status: unary(ctx, 'Status', () => {
      const { total, inUse } = backend.size();
      const revision = backend.revision;
      return {
        header: headers.header(revision),
        version: EMULATED_ETCD_VERSION,
        dbSize: total,
        dbSizeInUse: inUse,
        leader: backend.memberId,
        raftIndex: revision,
        raftTerm: 1,
        raftAppliedIndex: revision,
        errors: [],
        isLearner: false,
        storageVersion: '3.6.0',
      };
    }),

    // A single store has no quotas or corruption checks that raise alarms.
    Alarm: unary(ctx, 'Alarm', () => ({ header: headers.header(), alarms: [] })),

    Defragment: unary(ctx, 'Defragment', () => {
      backend.defragment();
      return { header: headers.header() };
    }),

    Hash: unary(ctx, 'Hash', () => ({ header: headers.header(), hash: backend.hashKv(0).hash })),

    HashKV: unary(ctx, 'HashKV', (m: HashKvRequest) => {
      const { hash, revision } = backend.hashKv(Number(m.revision ?? 0));
      return { header: headers.header(), hash, compact_revision: backend.compactRevision, hash_revision: revision };
    }),

    Snapshot: ((call: grpc.ServerWritableStream<unknown, unknown>) => {
      // 'error' on a server stream ends the call with this status.
      call.emit('error', {
        code: grpc.status.UNIMPLEMENTED,
        details:
          'cnpaas-store: snapshot is not supported: stop the store and copy the .db files of its --data-dir, or use sqlite3 .backup',
      });
    }) as grpc.handleServerStreamingCall<unknown, unknown>,
    MoveLeader: unimplemented('MoveLeader', 'the store is a single member that is always the leader'),
    Downgrade: unimplemented('Downgrade', 'the store has no cluster version to downgrade'),
  };
}
