import * as grpc from '@grpc/grpc-js';
import { loadEtcdProtos, type EtcdService } from '../../src/server/proto.js';

/**
 * A raw etcd v3 gRPC client over the vendored protos: the same wire messages a
 * Go client sends, with no client-side logic in between. Tests use it against
 * both the store and a real etcd.
 */
/** A generated service client: its methods are looked up by name, as the tests call them. */
export type RpcClient = grpc.Client & Record<string, (...args: any[]) => any>;

export interface EtcdClient {
  kv: RpcClient;
  watch: RpcClient;
  lease: RpcClient;
  maintenance: RpcClient;
  cluster: RpcClient;
  close(): void;
}

/**
 * `ownConnection`: grpc-js shares one connection among clients of the same
 * target and options; this gives the client a connection of its own, for
 * tests of per-connection limits.
 */
export function connect(target: string, { ownConnection = false } = {}): EtcdClient {
  const pkg = loadEtcdProtos();
  const creds = grpc.credentials.createInsecure();
  const options = {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': 8 * 1024 * 1024,
    ...(ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
  };
  const make = (name: EtcdService) => new pkg.etcdserverpb[name](target, creds, options) as never;
  const clients = {
    kv: make('KV'),
    watch: make('Watch'),
    lease: make('Lease'),
    maintenance: make('Maintenance'),
    cluster: make('Cluster'),
  } as Omit<EtcdClient, 'close'>;
  return {
    ...clients,
    close() {
      for (const c of Object.values(clients)) (c as grpc.Client).close();
    },
  };
}

/** Calls a unary method and resolves with the response, or rejects with the gRPC error. */
export function call<T = any>(client: RpcClient, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!(request, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

export async function waitForReady(target: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const client = connect(target);
    try {
      await call(client.maintenance, 'Status', {});
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      client.close();
    }
  }
  throw new Error(`${target} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}
