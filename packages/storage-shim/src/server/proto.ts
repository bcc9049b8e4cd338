import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO_ROOT = fileURLToPath(new URL('../../proto', import.meta.url));

/**
 * How decoded messages look in JS: field names as in the .proto, int64 as
 * decimal strings (lease IDs use all 64 bits), bytes as Buffers, oneofs named.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

/** The services of etcd's rpc.proto; the store serves all but Auth (it authenticates by TLS client certificates). */
export type EtcdService = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth';

export interface EtcdProtos {
  etcdserverpb: Record<EtcdService, grpc.ServiceClientConstructor & { service: grpc.ServiceDefinition }>;
}

let cached: EtcdProtos | undefined;

export function loadEtcdProtos(): EtcdProtos {
  if (!cached) {
    const definition = protoLoader.loadSync('etcd/api/etcdserverpb/rpc.proto', LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as EtcdProtos;
  }
  return cached;
}
