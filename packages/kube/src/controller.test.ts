import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { TerminalError } from './errors.js';
import { MemoryCollection, silentLog, TEST_KINDS, type TestObject } from './testing.js';
import { FakeClock } from './clock.js';
import { Controller, ownerKeys, type ReconcileContext, type ReconcileResult } from './controller.js';
import { Informer } from './informer.js';
import { memoryInformer } from './testing/memory-informer.js';
import type { ObjectKey } from './keys.js';
import { RuntimeMetrics } from './metrics.js';
import type { ResourceRef } from './resource.js';

const { tenants: TENANTS, users: USERS, namespaces: NAMESPACES } = TEST_KINDS;

const tenant = (name: string): KubernetesObject => ({
  apiVersion: 'example.dev/v1',
  kind: 'Tenant',
  metadata: { name, uid: `uid-${name}` },
});
const ownedNamespace = (name: string, owner: string, controller = true): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name,
    ownerReferences: [{ apiVersion: 'example.dev/v1', kind: 'Tenant', name: owner, uid: `uid-${owner}`, controller }],
  },
});

type Handler = (key: ObjectKey, ctx: ReconcileContext<KubernetesObject>) => Promise<ReconcileResult | void>;

function setup(handler: Handler = async () => undefined) {
  const clock = new FakeClock(0);
  const tenantsApi = new MemoryCollection();
  const namespacesApi = new MemoryCollection();
  const usersApi = new MemoryCollection();
  const mk = (resource: ResourceRef, api: MemoryCollection) =>
    new Informer({ resource, listerWatcher: api, clock, log: silentLog, resyncPeriodMs: 0, random: () => 0 });
  const tenants = mk(TENANTS, tenantsApi);
  const namespaces = mk(NAMESPACES, namespacesApi);
  const users = mk(USERS, usersApi);
  const calls: Array<{ key: string; at: number; object: KubernetesObject | undefined; retries: number }> = [];
  const metrics = new RuntimeMetrics();
  const controller = new Controller({
    name: 'tenant',
    for: tenants,
    clock,
    log: silentLog,
    metrics,
    reconciler: {
      reconcile: async (key, ctx) => {
        calls.push({ key, at: clock.now(), object: ctx.object, retries: ctx.retries });
        return handler(key, ctx);
      },
    },
  });
  const stop = async () => {
    await controller.stop();
    await Promise.all([tenants.stop(), namespaces.stop(), users.stop()]);
  };
  return { clock, tenantsApi, namespacesApi, usersApi, tenants, namespaces, users, controller, calls, metrics, stop };
}

async function metricValue(metrics: RuntimeMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value ?? 0;
}

describe('Controller', () => {
  it('reconciles each existing primary once caches have synced, with the cached object', async () => {
    const t = setup();
    t.tenantsApi.putSilently(tenant('t-1'));
    t.tenantsApi.putSilently(tenant('t-2'));
    t.controller.owns(t.namespaces);
    t.namespacesApi.listFailures = 1; // the child cache syncs 400 ms later
    const started = t.controller.start();
    await t.clock.advance(399);
    expect(t.calls).toEqual([]);
    await t.clock.advance(1);
    expect(await started).toBe(true);
    await t.clock.settle();
    expect(t.calls.map((c) => c.key).sort()).toEqual(['t-1', 't-2']);
    expect(t.calls[0]?.object?.metadata?.uid).toMatch(/^uid-t-/);
    await t.stop();
  });

  it('maps child events to the controlling owner only (owns)', async () => {
    const t = setup();
    t.controller.owns(t.namespaces);
    await t.controller.start();
    await t.clock.settle();
    t.namespacesApi.put(ownedNamespace('ns-1', 't-1'));
    t.namespacesApi.put(ownedNamespace('ns-2', 't-2', false)); // not the controller ref
    t.namespacesApi.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns-3' } });
    await t.clock.settle();
    expect(t.calls.map((c) => c.key)).toEqual(['t-1']);
    expect(t.calls[0]?.object).toBeUndefined(); // no such Tenant in the cache
    t.namespacesApi.remove('ns-1');
    await t.clock.settle();
    expect(t.calls.map((c) => c.key)).toEqual(['t-1', 't-1']);
    await t.stop();
  });

  it('maps events of watched resources through the mapper (watches)', async () => {
    const t = setup();
    t.controller.watches(t.users, (u) => u.metadata?.labels?.['example.dev/tenant']);
    await t.controller.start();
    t.usersApi.put({
      kind: 'User',
      metadata: { name: 'u', namespace: 't-9', labels: { 'example.dev/tenant': 't-9' } },
    });
    t.usersApi.put({ kind: 'User', metadata: { name: 'v', namespace: 't-9' } });
    await t.clock.settle();
    expect(t.calls.map((c) => c.key)).toEqual(['t-9']);
    await t.stop();
  });

  it('retries a failing reconcile with growing backoff, then forgets on success', async () => {
    let failuresLeft = 3;
    const t = setup(async () => {
      if (failuresLeft-- > 0) throw new Error('apiserver said no');
    });
    t.tenantsApi.putSilently(tenant('t-1'));
    await t.controller.start();
    await t.clock.advance(1000);
    expect(t.calls.map((c) => [c.at, c.retries])).toEqual([
      [0, 0],
      [5, 1],
      [15, 2],
      [35, 3],
    ]);
    expect(t.controller.queue.numRequeues('t-1')).toBe(0);
    expect(await metricValue(t.metrics, 'cnpaas_controller_reconcile_errors_total', { controller: 'tenant' })).toBe(3);
    expect(
      await metricValue(t.metrics, 'cnpaas_controller_reconcile_total', { controller: 'tenant', result: 'success' }),
    ).toBe(1);
    expect(await metricValue(t.metrics, 'cnpaas_workqueue_retries_total', { name: 'tenant' })).toBe(3);
    await t.stop();
  });

  it('does not retry a TerminalError', async () => {
    const t = setup(async () => {
      throw new TerminalError('name taken by another registration');
    });
    t.tenantsApi.putSilently(tenant('t-1'));
    await t.controller.start();
    await t.clock.advance(60_000);
    expect(t.calls).toHaveLength(1);
    expect(
      await metricValue(t.metrics, 'cnpaas_controller_reconcile_total', {
        controller: 'tenant',
        result: 'terminal_error',
      }),
    ).toBe(1);
    // A later change still reconciles.
    t.tenantsApi.put({ ...tenant('t-1'), spec: { changed: true } });
    await t.clock.settle();
    expect(t.calls).toHaveLength(2);
    await t.stop();
  });

  it('requeues after requeueAfterMs on success', async () => {
    const t = setup(async () => ({ requeueAfterMs: 30_000 }));
    t.tenantsApi.putSilently(tenant('t-1'));
    await t.controller.start();
    await t.clock.advance(29_999);
    expect(t.calls).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.calls.map((c) => c.at)).toEqual([0, 30_000]);
    await t.stop();
  });

  it('reconciles a deleted object with object undefined', async () => {
    const t = setup();
    t.tenantsApi.putSilently(tenant('t-1'));
    await t.controller.start();
    await t.clock.settle();
    t.tenantsApi.remove('t-1');
    await t.clock.settle();
    expect(t.calls.map((c) => [c.key, c.object === undefined])).toEqual([
      ['t-1', false],
      ['t-1', true],
    ]);
    await t.stop();
  });

  it('collapses a burst of events for one key: the running reconcile plus one re-run that sees the latest state', async () => {
    const t = setup();
    await t.controller.start();
    t.tenantsApi.put(tenant('t-1')); // starts a reconcile at once
    for (let i = 0; i < 10; i++) t.tenantsApi.put({ ...tenant('t-1'), spec: { i } });
    await t.clock.settle();
    expect(t.calls).toHaveLength(2);
    expect((t.calls[1]?.object as { spec?: { i: number } }).spec?.i).toBe(9);
    await t.stop();
  });

  it('skips updates of the primary that wakeOnUpdate turns down, never an add, a delete or a resync', async () => {
    const { clock, api, informer: tenants } = memoryInformer(TENANTS, { resyncPeriodMs: 60_000 });
    const seen: string[] = [];
    const specOf = (obj: KubernetesObject | undefined) => JSON.stringify((obj as TestObject | undefined)?.spec);
    const controller = new Controller({
      name: 'tenant',
      for: tenants,
      clock,
      log: silentLog,
      reconciler: { reconcile: async (key, ctx) => void seen.push(`${key} ${specOf(ctx.object)}`) },
      // Only a spec change matters: a status write alone does not wake the controller.
      wakeOnUpdate: (o, n) => specOf(o) !== specOf(n),
    });
    await controller.start();
    api.put({ ...tenant('t-1'), spec: { a: 1 } });
    await clock.settle();
    api.put({ ...tenant('t-1'), spec: { a: 1 }, status: { ready: true } });
    await clock.settle();
    expect(seen).toEqual(['t-1 {"a":1}']);
    api.put({ ...tenant('t-1'), spec: { a: 2 }, status: { ready: true } });
    await clock.settle();
    expect(seen).toEqual(['t-1 {"a":1}', 't-1 {"a":2}']);
    await clock.advance(60_000);
    await clock.settle();
    expect(seen).toHaveLength(3);
    api.remove('t-1');
    await clock.settle();
    expect(seen).toEqual(['t-1 {"a":1}', 't-1 {"a":2}', 't-1 {"a":2}', 't-1 undefined']);
    await controller.stop();
    await tenants.stop();
  });
});

describe('ownerKeys', () => {
  it('uses the child namespace for namespaced owners and matches group, not version', () => {
    const child: KubernetesObject = {
      metadata: {
        name: 's',
        namespace: 't-1',
        ownerReferences: [
          { apiVersion: 'example.dev/v2', kind: 'User', name: 'u', uid: '1', controller: true },
          { apiVersion: 'other.dev/v1', kind: 'User', name: 'x', uid: '2', controller: true },
        ],
      },
    };
    expect(ownerKeys(child, USERS)).toEqual(['t-1/u']);
    expect(
      ownerKeys({ metadata: { name: 'cluster-scoped', ownerReferences: child.metadata?.ownerReferences } }, USERS),
    ).toEqual([]);
  });
});
