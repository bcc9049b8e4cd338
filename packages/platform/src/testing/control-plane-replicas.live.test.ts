/**
 * kube-apiserver on two cnpaas-store replicas (`--etcd-servers=a,b`, both on
 * one PostgreSQL database; packages/storage-shim docs/replicas.md): objects
 * created through it are listed back, and it carries on through the other
 * replica when one is killed, losing nothing it acknowledged.
 */
import { postgresMissing, startPostgres, type PostgresHandle } from '@cnpaas/storage-shim/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKubectl } from '../kubectl.js';
import { freePort } from '../ports.js';
import { startControlPlane, type TestControlPlane } from './index.js';

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
  const create = async (name: string) => {
    // While the apiserver's client moves to the other replica a request may fail; it is retried, bounded.
    for (let attempt = 0; ; attempt++) {
      const res = await kubectl('create', 'configmap', name, '-n', 'default', `--from-literal=n=${name}`);
      if (res.code === 0) break;
      if (res.stderr.includes('AlreadyExists')) break;
      if (attempt >= 20) throw new Error(`kubectl create ${name} kept failing: ${res.stderr}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const label = await kubectl('label', 'configmap', name, '-n', 'default', 'replica-test=yes', '--overwrite');
    expect(label.code, label.stderr).toBe(0);
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
