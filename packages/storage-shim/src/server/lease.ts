import type * as grpc from '@grpc/grpc-js';
import { type ServiceContext, toServiceError, unary } from './context.js';
import type { LeaseGrantRequest, LeaseIdRequest, LeaseTimeToLiveRequest } from './requests.js';

/** int64 for proto-loader: lease IDs use all 64 bits, so they travel as decimal strings. */
function bigToWire(v: bigint): string | number {
  return v === 0n ? 0 : v.toString();
}

/** etcdserverpb.Lease: Grant, Revoke, KeepAlive (stream), TimeToLive, Leases. */
export function leaseService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  const { backend, headers } = ctx;
  return {
    LeaseGrant: unary(ctx, 'LeaseGrant', async (m: LeaseGrantRequest) => {
      const { id, ttl } = await backend.leaseGrant(BigInt(m.ID ?? 0), Number(m.TTL ?? 0));
      return { header: headers.header(), ID: bigToWire(id), TTL: ttl };
    }),

    LeaseRevoke: unary(ctx, 'LeaseRevoke', async (m: LeaseIdRequest) => {
      await backend.leaseRevoke(BigInt(m.ID ?? 0));
      return { header: headers.header() };
    }),

    LeaseKeepAlive: (call: grpc.ServerDuplexStream<LeaseIdRequest, unknown>) => {
      const failed = (err: unknown) => call.destroy(toServiceError(ctx, 'LeaseKeepAlive', err) as Error);
      call.on('data', (m: LeaseIdRequest) => {
        try {
          const id = BigInt(m.ID ?? 0);
          // An unknown lease answers TTL 0, not an error (etcd).
          const answer = (ttl: number) => call.write({ header: headers.header(), ID: bigToWire(id), TTL: ttl });
          const ttl = backend.leaseRenew(id);
          if (typeof ttl === 'number') answer(ttl);
          else ttl.then(answer, failed);
        } catch (err) {
          failed(err);
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },

    LeaseTimeToLive: unary(ctx, 'LeaseTimeToLive', (m: LeaseTimeToLiveRequest) => {
      const id = BigInt(m.ID ?? 0);
      const info = backend.leaseTimeToLive(id, !!m.keys);
      if (!info) return { header: headers.header(), ID: bigToWire(id), TTL: -1 };
      return {
        header: headers.header(),
        ID: bigToWire(id),
        TTL: info.ttl,
        grantedTTL: info.grantedTtl,
        keys: info.keys,
      };
    }),

    LeaseLeases: unary(ctx, 'LeaseLeases', () => ({
      header: headers.header(),
      leases: backend.leases().map((id) => ({ ID: bigToWire(id) })),
    })),
  };
}
