/**
 * kube-apiserver on two cnpaas-store replicas (`--etcd-servers=a,b`, both on
 * one PostgreSQL database; packages/storage-shim docs/replicas.md): objects
 * created through it are listed back, its watch cache agrees with what each
 * replica stores after creates, updates and deletes, and it carries on
 * through the other replica when one is killed, losing nothing it
 * acknowledged.
 */
import path from 'node:path';
import { postgresMissing, startPostgres, type PostgresHandle } from '@cnpaas/storage-shim/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreClient } from '../../test/support/etcd.js';
import { runKubectl } from '../kubectl.js';
import { freePort } from '../ports.js';
import { startControlPlane, type TestControlPlane } from './index.js';

const sorted = (o: Record<string, number>) => Object.entries(o).sort(([a], [b]) => a.localeCompare(b));

const missing = postgresMissing();
if (missing) console.warn(`skipping the store-replica control plane test: ${missing}`);

describe.skipIf(missing !== undefined)('startControlPlane on two store replicas', () => {
  let pg: PostgresHandle;
  let cp: TestControlPlane;
  const kubectl = (...args: string[]) =>
    runKubectl({ kubectl: cp.kubectl, kubeconfig: cp.kubeconfig, args, timeoutMs: 30_000 });
  const configMaps = async () => {
    const res = await kubectl('get', 'configmaps', '-n', 'default', '-l', 'replica-test', '-o', 'name');
    expect(res.code, res.stderr).toBe(0);
    return res.stdout.split('\n').filter(Boolean).sort();
  };
  const create = async (name: string, label = true) => {
    // While the apiserver's client moves to the other replica a request may fail; it is retried, bounded.
    for (let attempt = 0; ; attempt++) {
      const res = await kubectl('create', 'configmap', name, '-n', 'default', `--from-literal=n=${name}`);
      if (res.code === 0) break;
      if (res.stderr.includes('AlreadyExists')) break;
      if (attempt >= 20) throw new Error(`kubectl create ${name} kept failing: ${res.stderr}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!label) return;
    const labeled = await kubectl('label', 'configmap', name, '-n', 'default', 'replica-test=yes', '--overwrite');
    expect(labeled.code, labeled.stderr).toBe(0);
  };

  beforeAll(async () => {
    pg = await startPostgres(await freePort());
    await pg.createDatabase('store');
    cp = await startControlPlane({ storeReplicas: { mainEndpoint: pg.url('store'), count: 2 } });
  }, 120_000);

  afterAll(async () => {
    await cp?.stop();
    await pg?.stop();
  });

  it('runs both replicas and serves objects written and read through them', async () => {
    expect(Object.keys(cp.pids()).sort()).toEqual(['kube-apiserver', 'store-0', 'store-1']);
    const names = Array.from({ length: 8 }, (_, i) => `before-${i}`);
    for (const n of names) await create(n);
    expect(await configMaps()).toEqual(names.map((n) => `configmap/${n}`).sort());
  }, 120_000);

  it('serves from its watch cache exactly what each replica stores, after creates, updates and deletes', async () => {
    // The apiserver's etcd client spreads requests over both replicas; its watch cache is fed by one of them.
    const names = Array.from({ length: 12 }, (_, i) => `cache-${i}`);
    // Unlabeled: the kill test below counts the labeled ones.
    for (const n of names) await create(n, false);
    for (const n of names.slice(0, 6)) {
      const res = await kubectl('annotate', 'configmap', n, '-n', 'default', 'step=updated', '--overwrite');
      expect(res.code, res.stderr).toBe(0);
    }
    for (const n of names.slice(8)) {
      const res = await kubectl('delete', 'configmap', n, '-n', 'default', '--wait=false');
      expect(res.code, res.stderr).toBe(0);
    }
    // name → resourceVersion as the cache serves it (resourceVersion=0: any state the cache has, no store read).
    const fromCache = async () => {
      const res = await kubectl('get', '--raw', '/api/v1/namespaces/default/configmaps?resourceVersion=0');
      expect(res.code, res.stderr).toBe(0);
      const items = (
        JSON.parse(res.stdout) as { items: Array<{ metadata: { name: string; resourceVersion: string } }> }
      ).items;
      return Object.fromEntries(items.map((i) => [i.metadata.name, Number(i.metadata.resourceVersion)]));
    };
    // name → mod_revision, read from one replica over its socket (a linearizable read, not through the apiserver).
    const fromReplica = async (i: number) => {
      const client = new StoreClient(path.join(cp.stateDir, 'run', `store-${i}.sock`));
      try {
        const { kvs } = await client.range('/registry/configmaps/default/', 0);
        return Object.fromEntries(kvs.map((kv) => [kv.key.split('/').at(-1)!, kv.modRevision]));
      } finally {
        client.close();
      }
    };
    const stored = await fromReplica(0);
    expect(await fromReplica(1)).toEqual(stored);
    for (const n of names.slice(0, 8)) expect(stored[n], n).toBeTypeOf('number');
    for (const n of names.slice(8)) expect(stored[n], n).toBeUndefined();
    // The cache catches up through its watch; once it has, it must match the store object by object.
    const deadline = Date.now() + 15_000;
    let cached = await fromCache();
    while (JSON.stringify(sorted(cached)) !== JSON.stringify(sorted(stored)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      cached = await fromCache();
    }
    expect(sorted(cached)).toEqual(sorted(stored));
  }, 120_000);

  it('carries on through the other replica when one is killed, and keeps every object', async () => {
    const pid = cp.pids()['store-0'];
    expect(pid).toBeTypeOf('number');
    process.kill(pid!, 'SIGKILL');
    const names = Array.from({ length: 8 }, (_, i) => `after-${i}`);
    for (const n of names) await create(n);
    const all = [...Array.from({ length: 8 }, (_, i) => `before-${i}`), ...names];
    expect(await configMaps()).toEqual(all.map((n) => `configmap/${n}`).sort());
    // A consistent read straight from the store (no cache) sees the same.
    const fromStore = await kubectl(
      'get',
      '--raw',
      '/api/v1/namespaces/default/configmaps?labelSelector=replica-test&resourceVersion=&limit=500',
    );
    expect(fromStore.code, fromStore.stderr).toBe(0);
    const listed = (JSON.parse(fromStore.stdout) as { items: Array<{ metadata: { name: string } }> }).items;
    expect(listed.map((i) => i.metadata.name).sort()).toEqual(all.sort());
  }, 180_000);
});
