import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, connect } from '../support/client.js';
import { refusedStart, startStore } from '../support/processes.js';
import { shutDown, useStore } from '../support/store-suite.js';

const TOPOLOGY = readFileSync(resolve(import.meta.dirname, '../fixtures/three-kinds.yaml'), 'utf8');
const k = (s: string) => Buffer.from(s);
const G = '/registry/shop.example.com';

const suite = useStore({ topology: TOPOLOGY });

function keysIn(file: string): string[] {
  const db = new Database(join(suite.store.dataDir, file), { readonly: true });
  try {
    return (db.prepare('SELECT key FROM kv ORDER BY key').pluck().all() as Buffer[]).map(String);
  } finally {
    db.close();
  }
}

describe('a topology of three kinds', () => {
  it('puts each kind in its own file and the rest in main.db', async () => {
    const keys = [
      `${G}/registrationrequests/rr-1`,
      `${G}/tenants/t-1`,
      `${G}/users/t-1/t-1`,
      `${G}/emails/t-1/t-1-welcome`,
      `${G}/emailtemplates/cnpaas-system/registration`,
      '/registry/namespaces/t-1',
    ];
    for (const key of keys) await call(suite.client.kv, 'Put', { key: k(key), value: k('{}') });
    expect(keysIn('tenants.db')).toEqual([`${G}/tenants/t-1`]);
    expect(keysIn('users.db')).toEqual([`${G}/users/t-1/t-1`]);
    expect(keysIn('emails.db')).toEqual([`${G}/emails/t-1/t-1-welcome`]);
    expect(keysIn('main.db')).toEqual([
      '/registry/namespaces/t-1',
      `${G}/emailtemplates/cnpaas-system/registration`,
      `${G}/registrationrequests/rr-1`,
    ]);
    // one merged, key-ordered answer at one revision
    const all = await call(suite.client.kv, 'Range', { key: k('/registry/'), range_end: k('/registry0'), limit: 4 });
    expect(all.kvs.map((kv: any) => kv.key.toString())).toEqual([...keys].sort().slice(0, 4));
    expect(Number(all.count)).toBe(6);
    expect(all.more).toBe(true);
  });

  it('commits a transaction over three files at one revision, or not at all', async () => {
    const ok = await call(suite.client.kv, 'Txn', {
      success: [
        { request_put: { key: k(`${G}/tenants/t-2`), value: k('t') } },
        { request_put: { key: k(`${G}/users/t-2/t-2`), value: k('u') } },
        { request_delete_range: { key: k(`${G}/registrationrequests/rr-1`) } },
      ],
    });
    expect(ok.succeeded).toBe(true);
    const rev = Number(ok.header.revision);
    for (const key of [`${G}/tenants/t-2`, `${G}/users/t-2/t-2`]) {
      const r = await call(suite.client.kv, 'Range', { key: k(key) });
      expect(Number(r.kvs[0].mod_revision)).toBe(rev);
    }
    await expect(
      call(suite.client.kv, 'Txn', {
        success: [
          { request_put: { key: k(`${G}/tenants/t-3`), value: k('t') } },
          { request_put: { key: k(`${G}/emails/t-3/x`), value: k('e'), lease: '999' } },
        ],
      }),
    ).rejects.toMatchObject({ details: 'etcdserver: requested lease not found' });
    expect(keysIn('tenants.db')).not.toContain(`${G}/tenants/t-3`);
  });

  it('reports its size and an etcd version the apiserver accepts', async () => {
    const status = await call(suite.client.maintenance, 'Status', {});
    expect(Number(status.dbSize)).toBeGreaterThan(0);
    expect(status.version).toBe('3.6.4');
  });
});

describe('a topology that would move stored keys', () => {
  it('stops the store at start, naming the keys; the topology they were written under still serves them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-moved-keys-'));
    try {
      const plain = await startStore({ dataDir });
      const client = connect(plain.target);
      await call(client.kv, 'Put', { key: k(`${G}/tenants/t-1`), value: k('{}') });
      await shutDown(client, plain);

      const refused = await refusedStart({ dataDir, topology: TOPOLOGY });
      expect(refused.status).toBe(2);
      expect(refused.output).toContain('CNPAAS_STORE_TOPOLOGY_MOVES_KEYS');
      expect(refused.output).toContain(`backend "main" holds 1 key(s) routed elsewhere (${G}/tenants/t-1 → tenants)`);

      const again = await startStore({ dataDir });
      const after = connect(again.target);
      try {
        const got = await call(after.kv, 'Range', { key: k(`${G}/tenants/t-1`) });
        expect(got.kvs.map((kv: any) => kv.value.toString())).toEqual(['{}']);
      } finally {
        await shutDown(after, again);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
