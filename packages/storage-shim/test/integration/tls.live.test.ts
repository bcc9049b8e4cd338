import * as grpc from '@grpc/grpc-js';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEtcdProtos } from '../../src/server/proto.js';
import type { RpcClient } from '../support/client.js';
import { freePort } from '../support/free-port.js';
import { startStore, type ServerHandle } from '../support/processes.js';

// Certificates come from the openssl CLI, the same way an operator would make them.
const dir = mkdtempSync(join(tmpdir(), 'cnpaas-tls-'));
const f = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function issue(name: string, ca: string, ext: string): void {
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.csr`),
    '-subj',
    `/CN=${name}`,
  );
  writeFileSync(f(`${name}.ext`), ext);
  openssl(
    'x509',
    '-req',
    '-in',
    f(`${name}.csr`),
    '-CA',
    f(`${ca}.crt`),
    '-CAkey',
    f(`${ca}.key`),
    '-CAcreateserial',
    '-out',
    f(`${name}.crt`),
    '-days',
    '1',
    '-extfile',
    f(`${name}.ext`),
  );
}

let store: ServerHandle;
let port: number;
beforeAll(async () => {
  for (const ca of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${ca}.key`),
      '-out',
      f(`${ca}.crt`),
      '-days',
      '1',
      '-subj',
      `/CN=${ca}`,
    );
  }
  issue('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  issue('intruder', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  port = await freePort();
  store = await startStore({
    listenUrls: [`https://127.0.0.1:${port}`],
    extraArgs: [
      `--cert-file=${f('server.crt')}`,
      `--key-file=${f('server.key')}`,
      `--trusted-ca-file=${f('ca.crt')}`,
      '--client-cert-auth',
    ],
  });
});
afterAll(async () => {
  await store?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function statusWith(creds: grpc.ChannelCredentials): Promise<unknown> {
  const Maintenance = loadEtcdProtos().etcdserverpb.Maintenance;
  const client = new Maintenance(`127.0.0.1:${port}`, creds) as unknown as RpcClient;
  return new Promise((resolve, reject) => {
    client.Status!({}, { deadline: Date.now() + 5000 }, (err: Error | null, res: unknown) => {
      client.close();
      if (err) reject(err);
      else resolve(res);
    });
  });
}

/** A KV call: with --grpc-impl=lean (the default) it is served by the lean path, not grpc-js. */
function rangeWith(creds: grpc.ChannelCredentials): Promise<unknown> {
  const KV = loadEtcdProtos().etcdserverpb.KV;
  const client = new KV(`127.0.0.1:${port}`, creds) as unknown as RpcClient;
  return new Promise((resolve, reject) => {
    client.Range!(
      { key: Buffer.from('secure') },
      { deadline: Date.now() + 5000 },
      (err: Error | null, res: unknown) => {
        client.close();
        if (err) reject(err);
        else resolve(res);
      },
    );
  });
}

const ca = () => readFileSync(f('ca.crt'));

describe('TLS with --client-cert-auth', () => {
  it('serves a client whose certificate the trusted CA signed', async () => {
    const creds = grpc.credentials.createSsl(ca(), readFileSync(f('client.key')), readFileSync(f('client.crt')));
    await expect(statusWith(creds)).resolves.toMatchObject({ version: '3.6.4' });
  });

  it('refuses a client without a certificate, or with one from another CA', async () => {
    await expect(statusWith(grpc.credentials.createSsl(ca()))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const intruder = grpc.credentials.createSsl(ca(), readFileSync(f('intruder.key')), readFileSync(f('intruder.crt')));
    await expect(statusWith(intruder)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('holds KV calls, served by the lean gRPC path, to the same certificates', async () => {
    const client = grpc.credentials.createSsl(ca(), readFileSync(f('client.key')), readFileSync(f('client.crt')));
    await expect(rangeWith(client)).resolves.toMatchObject({ count: '0' });
    await expect(rangeWith(grpc.credentials.createSsl(ca()))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const intruder = grpc.credentials.createSsl(ca(), readFileSync(f('intruder.key')), readFileSync(f('intruder.crt')));
    await expect(rangeWith(intruder)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('works with etcdctl and its --cacert/--cert/--key flags', () => {
    const args = [
      `--endpoints=https://127.0.0.1:${port}`,
      `--cacert=${f('ca.crt')}`,
      `--cert=${f('client.crt')}`,
      `--key=${f('client.key')}`,
    ];
    const env = { ...process.env, ETCDCTL_API: '3' };
    expect(spawnSync('etcdctl', [...args, 'put', 'secure', 'yes'], { env, encoding: 'utf8' }).stdout).toBe('OK\n');
    expect(
      spawnSync('etcdctl', [...args, 'get', 'secure', '--print-value-only'], { env, encoding: 'utf8' }).stdout,
    ).toBe('yes\n');
  });
});
