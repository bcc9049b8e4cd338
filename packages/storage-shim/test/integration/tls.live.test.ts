import * as grpc from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEtcdProtos } from '../../src/server/proto.js';
import type { RpcClient } from '../support/client.js';
import { freePort } from '../support/free-port.js';
import { type Issued, OpensslCa } from '../support/openssl-ca.js';
import { startStore, type ServerHandle } from '../support/processes.js';

// Certificates come from the openssl CLI, the same way an operator would make them.
const dir = mkdtempSync(join(tmpdir(), 'cnpaas-tls-'));
let trusted: OpensslCa;
let server: Issued;
let client: Issued;
let intruder: Issued;

let store: ServerHandle;
let port: number;
beforeAll(async () => {
  trusted = new OpensslCa(dir, 'ca');
  server = trusted.issue('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  client = trusted.issue('client', 'extendedKeyUsage=clientAuth\n');
  intruder = new OpensslCa(dir, 'other-ca').issue('intruder', 'extendedKeyUsage=clientAuth\n');
  port = await freePort();
  store = await startStore({
    listenUrls: [`https://127.0.0.1:${port}`],
    extraArgs: [
      `--cert-file=${server.certFile}`,
      `--key-file=${server.keyFile}`,
      `--trusted-ca-file=${trusted.certFile}`,
      '--client-cert-auth',
    ],
  });
});
afterAll(async () => {
  await store?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One call over TLS: `Maintenance.Status` is served by grpc-js, `KV.Range` by the lean path (--grpc-impl=lean, the default). */
function call(
  service: 'Maintenance' | 'KV',
  method: string,
  req: object,
  creds: grpc.ChannelCredentials,
): Promise<unknown> {
  const Client = loadEtcdProtos().etcdserverpb[service];
  const rpc = new Client(`127.0.0.1:${port}`, creds) as unknown as RpcClient;
  return new Promise((resolve, reject) => {
    rpc[method]!(req, { deadline: Date.now() + 5000 }, (err: Error | null, res: unknown) => {
      rpc.close();
      if (err) reject(err);
      else resolve(res);
    });
  });
}

const statusWith = (creds: grpc.ChannelCredentials) => call('Maintenance', 'Status', {}, creds);
const rangeWith = (creds: grpc.ChannelCredentials) => call('KV', 'Range', { key: Buffer.from('secure') }, creds);

/** Credentials that trust the store's CA, presenting `who`'s certificate, or none. */
function presenting(who?: Issued): grpc.ChannelCredentials {
  const pem = (text: string | undefined) => (text === undefined ? undefined : Buffer.from(text));
  return grpc.credentials.createSsl(Buffer.from(trusted.cert), pem(who?.key), pem(who?.cert));
}

describe('TLS with --client-cert-auth', () => {
  it('serves a client whose certificate the trusted CA signed', async () => {
    await expect(statusWith(presenting(client))).resolves.toMatchObject({ version: '3.6.4' });
  });

  it('refuses a client without a certificate, or with one from another CA', async () => {
    await expect(statusWith(presenting())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await expect(statusWith(presenting(intruder))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('holds KV calls, served by the lean gRPC path, to the same certificates', async () => {
    await expect(rangeWith(presenting(client))).resolves.toMatchObject({ count: '0' });
    await expect(rangeWith(presenting())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await expect(rangeWith(presenting(intruder))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('works with etcdctl and its --cacert/--cert/--key flags', () => {
    const args = [
      `--endpoints=https://127.0.0.1:${port}`,
      `--cacert=${trusted.certFile}`,
      `--cert=${client.certFile}`,
      `--key=${client.keyFile}`,
    ];
    const env = { ...process.env, ETCDCTL_API: '3' };
    expect(spawnSync('etcdctl', [...args, 'put', 'secure', 'yes'], { env, encoding: 'utf8' }).stdout).toBe('OK\n');
    expect(
      spawnSync('etcdctl', [...args, 'get', 'secure', '--print-value-only'], { env, encoding: 'utf8' }).stdout,
    ).toBe('yes\n');
  });
});
