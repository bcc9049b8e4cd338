import type * as grpc from '@grpc/grpc-js';
import { type ServiceContext, unary, unimplemented } from './context.js';

/**
 * etcdserverpb.Cluster: one member, the store itself. Replicas
 * (docs/replicas.md) list only themselves too: kube-apiserver and etcdctl
 * use the endpoints they are given and do not sync them from MemberList.
 */
export function clusterService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  const single =
    'the store is a single member; scale by routing keys to more backends, or run replicas on a shared database (--main-endpoint)';
  return {
    MemberList: unary(ctx, 'MemberList', () => ({
      header: ctx.headers.header(),
      members: [
        { ID: ctx.backend.memberId, name: 'cnpaas-store', peerURLs: [], clientURLs: ctx.clientUrls, isLearner: false },
      ],
    })),
    MemberAdd: unimplemented('MemberAdd', single),
    MemberRemove: unimplemented('MemberRemove', single),
    MemberUpdate: unimplemented('MemberUpdate', single),
    MemberPromote: unimplemented('MemberPromote', single),
  };
}
