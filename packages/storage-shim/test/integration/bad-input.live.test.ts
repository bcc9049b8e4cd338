import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { useStore } from '../support/store-suite.js';

const STORE_BIN = resolve(import.meta.dirname, '../../bin/cnpaas-store.js');
const k = (s: string) => Buffer.from(s);

const suite = useStore();
beforeAll(async () => {
  for (let i = 0; i < 5; i++) await call(suite.client.kv, 'Put', { key: k(`keep/${i}`), value: k(`v${i}`) });
});

async function rejected(
  method: string,
  request: unknown,
  service: 'kv' | 'lease' = 'kv',
): Promise<{ code: number; details: string }> {
  try {
    await call(suite.client[service], method, request);
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error(`${method} was accepted`);
}

describe("bad requests get etcd's errors and change nothing", () => {
  it.each([
    [
      'a request over 1.5 MiB',
      'Put',
      { key: k('big'), value: Buffer.alloc(1_600_000) },
      3,
      'etcdserver: request is too large',
    ],
    ['an empty key', 'Put', { key: Buffer.alloc(0), value: k('v') }, 3, 'etcdserver: key is not provided'],
    ['an empty range key', 'Range', { key: Buffer.alloc(0) }, 3, 'etcdserver: key is not provided'],
    [
      'too many txn ops',
      'Txn',
      { success: Array.from({ length: 129 }, (_, i) => ({ request_put: { key: k(`t${i}`), value: k('v') } })) },
      3,
      'etcdserver: too many operations in txn request',
    ],
    [
      'a duplicate key in a txn',
      'Txn',
      { success: [{ request_put: { key: k('d'), value: k('1') } }, { request_put: { key: k('d'), value: k('2') } }] },
      3,
      'etcdserver: duplicate key given in txn request',
    ],
    [
      'an unknown lease',
      'Put',
      { key: k('leased'), value: k('v'), lease: '12345' },
      5,
      'etcdserver: requested lease not found',
    ],
    ['ignore_value on a missing key', 'Put', { key: k('missing'), ignore_value: true }, 3, 'etcdserver: key not found'],
    [
      'a future revision',
      'Range',
      { key: k('keep/0'), revision: 999 },
      11,
      'etcdserver: mvcc: required revision is a future revision',
    ],
  ])('%s', async (_what, method, request, code, details) => {
    const before = await call(suite.client.kv, 'Range', { key: k('keep/'), range_end: k('keep0') });
    const err = await rejected(method, request);
    expect({ code: err.code, details: err.details }).toEqual({ code, details });
    const after = await call(suite.client.kv, 'Range', { key: k('keep/'), range_end: k('keep0') });
    expect(after.header.revision).toBe(before.header.revision);
    expect(after.kvs.map((kv: any) => kv.value.toString())).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('a lease revoke of an unknown lease', async () => {
    const err = await rejected('LeaseRevoke', { ID: '777' }, 'lease');
    expect({ code: err.code, details: err.details }).toEqual({
      code: 5,
      details: 'etcdserver: requested lease not found',
    });
  });
});

describe('bad start-up configuration stops the store with a clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(args: string[]) {
    return spawnSync(process.execPath, [STORE_BIN, `--data-dir=${join(dir, 'data')}`, ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });
  }

  /** The store does not start with `args`: it exits 2, with each of `messages` on stderr. */
  function expectRefused(args: string[], ...messages: string[]): void {
    const r = run(args);
    expect(r.status).toBe(2);
    for (const message of messages) expect(r.stderr).toContain(message);
  }

  it('a malformed topology names the file, the field and the reason', () => {
    const file = join(dir, 'topology.yaml');
    writeFileSync(file, 'backends:\n  - name: users\n    endpoint: redis://db/users\n    prefix: { prefix: users }\n');
    expectRefused(
      [`--topology=${file}`, '--listen-client-urls=http://127.0.0.1:0'],
      `CNPAAS_STORE_BAD_TOPOLOGY: ${file}: backends[0].endpoint scheme "redis" is not supported`,
      'fix:',
    );
  });

  it('an unknown endpoint scheme', () => {
    expectRefused(
      ['--listen-client-urls=ftp://127.0.0.1:2379'],
      '--listen-client-urls: "ftp://127.0.0.1:2379" has an unknown scheme',
    );
  });

  it('plain TCP on a non-loopback address, unless explicitly allowed', () => {
    expectRefused(
      ['--listen-client-urls=http://0.0.0.0:0'],
      'CNPAAS_STORE_INSECURE_LISTENER: http://0.0.0.0:0 would accept plain HTTP/2 without TLS on a non-loopback address',
      '--insecure-allow-unauthenticated-tcp',
    );
  });

  it('--client-cert-auth beside a listener without TLS', () => {
    expectRefused(
      ['--listen-client-urls=http://127.0.0.1:0', '--client-cert-auth', '--trusted-ca-file=/nonexistent/ca.crt'],
      '--client-cert-auth cannot apply to http://127.0.0.1:0',
      'fix: listen on https://IP:PORT with --cert-file, --key-file and --trusted-ca-file',
    );
  });

  it('metrics on a non-loopback address, unless explicitly allowed', () => {
    expectRefused(
      ['--listen-client-urls=http://127.0.0.1:0', '--listen-metrics-urls=http://0.0.0.0:0'],
      '--listen-metrics-urls http://0.0.0.0:0 is not a loopback address',
      '--insecure-allow-non-loopback-metrics',
    );
  });

  it('a plain loopback listener starts, warning that every local user can connect', () => {
    expect(suite.store.output()).toContain(
      `${suite.store.endpoint} accepts plain HTTP/2 without TLS: any user or process on this machine can connect`,
    );
  });

  it('an unknown flag', () => {
    expectRefused(['--listen-peer-urls=http://127.0.0.1:1'], "Unknown option '--listen-peer-urls'");
  });
});
