import type { ClientDuplexStream } from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePostgresEndpoint } from '../../src/drivers/postgres-endpoint.js';
import { call, connect, type EtcdClient } from '../support/client.js';
import { type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';
import { type ServerHandle, startStore } from '../support/processes.js';

/**
 * cnpaas-store with one backend in a real PostgreSQL 15 and the rest in
 * SQLite: etcd semantics across both, durability across a restart, and the
 * endpoint's password in no log line.
 */
const STORE_BIN = resolve(import.meta.dirname, '../../bin/cnpaas-store.js');
const missing = postgresMissing();
if (missing) console.warn(`skipping the store-on-PostgreSQL tests: ${missing}`);

const k = (s: string) => Buffer.from(s);
let server: PostgresHandle;
let store: ServerHandle;
let client: EtcdClient;
let topology: string;

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
  const c = new pg.Client(parsePostgresEndpoint(server.url('tenants')).config);
  await c.connect();
  try {
    return (await c.query(sql)).rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

describe.skipIf(missing !== undefined)('a backend in PostgreSQL', () => {
  beforeAll(async () => {
    server = await startPostgres();
    const admin = new pg.Client(parsePostgresEndpoint(server.url()).config);
    await admin.connect();
    await admin.query('CREATE DATABASE tenants');
    await admin.end();
    topology = `backends:\n  - name: tenants\n    endpoint: "${server.url('tenants')}"\n    prefix: { prefix: "/t/" }\n`;
    store = await startStore({ topology, logLevel: 'debug' });
    client = connect(store.target);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await store?.stop();
    await server?.stop();
  });

  it('stores routed keys in PostgreSQL under the one global revision', async () => {
    const a = await call(client.kv, 'Put', { key: k('/t/a'), value: k('1') });
    const m = await call(client.kv, 'Put', { key: k('/m/x'), value: k('1') });
    expect(Number(m.header.revision)).toBe(Number(a.header.revision) + 1);
    await call(client.kv, 'Put', { key: k('/t/a'), value: k('2') });
    await call(client.kv, 'Put', { key: k('/t/b'), value: k('1') });
    const now = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
    expect(now.kvs.map((kv: { key: Buffer; value: Buffer }) => `${kv.key}=${kv.value}`)).toEqual(['/t/a=2', '/t/b=1']);
    expect(Number(now.count)).toBe(2);
    const past = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0'), revision: a.header.revision });
    expect(past.kvs.map((kv: { value: Buffer }) => String(kv.value))).toEqual(['1']);
    expect(await rows("SELECT convert_from(key, 'UTF8') AS key FROM kv ORDER BY key")).toEqual([
      { key: '/t/a' },
      { key: '/t/b' },
    ]);
  });

  it('runs a compare-and-swap txn and a delete across PostgreSQL and SQLite atomically', async () => {
    const cur = await call(client.kv, 'Range', { key: k('/t/a') });
    const rev = cur.kvs[0].mod_revision;
    const txn = await call(client.kv, 'Txn', {
      compare: [{ key: k('/t/a'), target: 'MOD', result: 'EQUAL', mod_revision: rev }],
      success: [
        { request_put: { key: k('/t/a'), value: k('3') } },
        { request_delete_range: { key: k('/m/x'), prev_kv: true } },
      ],
    });
    expect(txn.succeeded).toBe(true);
    const stale = await call(client.kv, 'Txn', {
      compare: [{ key: k('/t/a'), target: 'MOD', result: 'EQUAL', mod_revision: rev }],
      success: [{ request_put: { key: k('/t/a'), value: k('lost') } }],
    });
    expect(stale.succeeded).toBe(false);
    const a = await call(client.kv, 'Range', { key: k('/t/a') });
    expect(String(a.kvs[0].value)).toBe('3');
    expect(Number(a.kvs[0].mod_revision)).toBe(Number(txn.header.revision));
    expect((await call(client.kv, 'Range', { key: k('/m/x') })).kvs).toHaveLength(0);
  });

  it('replays history to a watch from a past revision, with prev_kv', async () => {
    const events = await new Promise<
      Array<{ type: string; kv: { key: Buffer; value: Buffer }; prev_kv?: { value: Buffer } }>
    >((resolve, reject) => {
      const stream = client.watch.Watch!() as ClientDuplexStream<unknown, unknown>;
      const got: Array<{ type: string; kv: { key: Buffer; value: Buffer }; prev_kv?: { value: Buffer } }> = [];
      stream.on('data', (r: { events?: typeof got }) => {
        got.push(...(r.events ?? []));
        if (got.length >= 4) {
          stream.end();
          resolve(got);
        }
      });
      stream.on('error', reject);
      stream.write({ create_request: { key: k('/t/'), range_end: k('/t0'), start_revision: 2, prev_kv: true } });
    });
    expect(events.map((e) => `${e.type ?? 'PUT'} ${e.kv.key}=${e.kv.value} prev=${e.prev_kv?.value ?? '-'}`)).toEqual([
      'PUT /t/a=1 prev=-',
      'PUT /t/a=2 prev=1',
      'PUT /t/b=1 prev=-',
      'PUT /t/a=3 prev=2',
    ]);
  });

  it('keeps every acknowledged write across a restart, and the password out of its log', async () => {
    const before = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
    client.close();
    const log = store.output();
    await store.stop();
    store = await startStore({ topology, logLevel: 'debug' });
    client = connect(store.target);
    const after = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
    expect(after.kvs).toEqual(before.kvs);
    expect(Number(after.header.revision)).toBe(Number(before.header.revision));
    expect(`${log}\n${store.output()}`).not.toContain(server.password);
    expect(`${log}\n${store.output()}`).toContain('tenants');
  });

  it('stops at start-up with a clear error, and no password, when PostgreSQL refuses the login', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnpaas-pg-refused-'));
    try {
      const wrong = 'wrong-pass-0815';
      const endpoint = server.url('tenants').replace(server.password, wrong);
      writeFileSync(join(dir, 'topology.yaml'), topology.replace(server.url('tenants'), endpoint));
      const r = spawnSync(
        process.execPath,
        [
          STORE_BIN,
          `--data-dir=${join(dir, 'data')}`,
          `--topology=${join(dir, 'topology.yaml')}`,
          '--listen-client-urls=http://127.0.0.1:0',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(
        `CNPAAS_STORE_BACKEND_CONNECT: postgres://cnpaas:***@127.0.0.1:${server.port}/tenants`,
      );
      expect(r.stderr).toContain('password authentication failed');
      expect(`${r.stdout}${r.stderr}`).not.toContain(wrong);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
