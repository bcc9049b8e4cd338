/**
 * A raw etcd v3 client on the store's unix socket, over the store's own
 * vendored protos, for reading the store at an exact revision in tests.
 */
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProtos } from '@cnpaas/storage-shim';

export interface RangeResult {
  revision: number;
  kvs: Array<{ key: string; modRevision: number }>;
}

export class StoreClient {
  private readonly kv: grpc.Client & Record<string, (...args: any[]) => any>;

  constructor(socket: string) {
    const pkg = loadEtcdProtos();
    const KV = pkg.etcdserverpb.KV as grpc.ServiceClientConstructor;
    this.kv = new KV(`unix://${socket}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
    }) as unknown as typeof this.kv;
  }

  /** Every key under `prefix` as of `revision` (keys only). */
  range(prefix: string, revision: number): Promise<RangeResult> {
    const key = Buffer.from(prefix);
    const end = Buffer.from(prefix);
    end[end.length - 1]! += 1;
    return new Promise((resolve, reject) => {
      this.kv.Range!({ key, range_end: end, revision, keys_only: true }, (err: grpc.ServiceError | null, res: any) => {
        if (err) return reject(err);
        resolve({
          revision: Number(res.header.revision),
          kvs: (res.kvs ?? []).map((kv: any) => ({
            key: Buffer.from(kv.key).toString('utf8'),
            modRevision: Number(kv.mod_revision),
          })),
        });
      });
    });
  }

  close(): void {
    this.kv.close();
  }
}
