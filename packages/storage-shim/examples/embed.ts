import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProtos, parseFlags, startStoreServer } from '@cnpaas/storage-shim';

// A store in a temp dir, on a unix socket only its owner may open, with Widgets routed to a file of their own.
const dir = mkdtempSync(path.join(tmpdir(), 'store-example-'));
const topology = path.join(dir, 'topology.yaml');
writeFileSync(
  topology,
  `backends:
  - name: widgets
    endpoint: sqlite://widgets.db
    customresource: { group: example.dev, kind: widgets }
`,
);
const socket = path.join(dir, 'store.sock');
const config = parseFlags([
  ...['--data-dir', path.join(dir, 'data'), '--topology', topology],
  ...['--listen-client-urls', `unix://${socket}`, '--log-level', 'warn'],
]);
if (typeof config === 'string') throw new Error('unexpected --help or --version');
const store = await startStoreServer(config);

// Any etcd v3 client works; this one is plain gRPC on the store's own copy of etcd's protos.
const { etcdserverpb } = loadEtcdProtos();
const kv = new etcdserverpb.KV(`unix://${socket}`, grpc.credentials.createInsecure());
type Unary<T> = (request: object, done: (err: grpc.ServiceError | null, reply: T) => void) => void;
const call = <T>(method: 'Put' | 'Range', request: object): Promise<T> =>
  new Promise((resolve, reject) =>
    (kv[method] as Unary<T>).call(kv, request, (err, reply) => (err ? reject(err) : resolve(reply))),
  );

const key = Buffer.from('/registry/example.dev/widgets/default/w1');
const put = await call<{ header: { revision: string } }>('Put', { key, value: Buffer.from('{"spec":{"size":3}}') });
const got = await call<{ kvs: Array<{ value: Buffer; mod_revision: string }> }>('Range', { key });
console.log(`put at revision ${put.header.revision}`);
console.log(`read back ${got.kvs[0]?.value.toString()} (mod_revision ${got.kvs[0]?.mod_revision})`);
console.log(`backends: ${store.store.backendNames.join(', ')}`);

kv.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
