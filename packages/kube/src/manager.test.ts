import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeError } from './errors.js';
import { deferred, MemoryCollection, MemoryLease, silentLog, TEST_KINDS } from './testing.js';
import { FakeClock } from './clock.js';
import { Manager, type ManagerOptions } from './manager.js';

const { tenants: TENANTS, namespaces: NAMESPACES } = TEST_KINDS;

const tenant = (name: string): KubernetesObject => ({
  apiVersion: 'example.dev/v1',
  kind: 'Tenant',
  metadata: { name, uid: `uid-${name}` },
});

function world() {
  const clock = new FakeClock(0);
  const collections: Record<string, MemoryCollection> = {
    tenants: new MemoryCollection(),
    namespaces: new MemoryCollection(),
  };
  const lease = new MemoryLease();
  return { clock, collections, lease };
}

function manager(
  w: ReturnType<typeof world>,
  name: string,
  extra: Partial<ManagerOptions> = {},
  reconcile?: (key: string) => Promise<void>,
) {
  const reconciled: string[] = [];
  const lock = w.lease.client();
  const mgr = new Manager({
    clock: w.clock,
    log: silentLog,
    listerWatcher: (resource) => w.collections[resource.plural] as MemoryCollection,
    informerDefaults: { resyncPeriodMs: 0 },
    leaderElection: { namespace: 'example-system', name: 'widget-operator', identity: name, lock },
    ...extra,
  });
  mgr
    .controller({
      name: 'tenant',
      for: TENANTS,
      reconciler: {
        reconcile: async (key) => {
          reconciled.push(key);
          await reconcile?.(key);
        },
      },
    })
    .owns(NAMESPACES);
  return { mgr, reconciled, lock };
}

describe('Manager', () => {
  it('shares one informer per resource between controllers', () => {
    const w = world();
    const { mgr } = manager(w, 'a');
    expect(mgr.informer(TENANTS)).toBe(mgr.informer(TENANTS));
    expect(mgr.informer(TENANTS, { namespace: 'x' })).not.toBe(mgr.informer(TENANTS));
  });

  it('runs controllers only while leading; on stop it releases, and the standby takes over quickly', async () => {
    const w = world();
    w.collections['tenants']?.putSilently(tenant('t-1'));
    const a = manager(w, 'a');
    const b = manager(w, 'b');
    const aRun = a.mgr.start();
    await w.clock.settle();
    const bRun = b.mgr.start();
    await w.clock.advance(10_000);
    expect(a.mgr.ready()).toBe(true);
    expect(a.mgr.isLeader()).toBe(true);
    expect(a.reconciled).toEqual(['t-1']);
    expect(b.mgr.state).toBe('campaigning');
    expect(b.reconciled).toEqual([]);
    // Only the leader watches.
    w.collections['tenants']?.put(tenant('t-2'));
    await w.clock.settle();
    expect(a.reconciled).toEqual(['t-1', 't-2']);
    expect(b.reconciled).toEqual([]);

    await a.mgr.stop();
    await aRun;
    expect(a.mgr.state).toBe('stopped');
    expect(w.lease.record?.holderIdentity).toBe('');
    expect(w.collections['tenants']?.watching).toBe(false); // a's informers stopped

    // b retries every 2–4.4 s; well before the 15 s lease duration.
    await w.clock.advance(4_400);
    expect(b.mgr.isLeader()).toBe(true);
    expect(b.reconciled.sort()).toEqual(['t-1', 't-2']);
    const metrics = await b.mgr.metrics.registry.getSingleMetricAsString('cnpaas_leader_election_is_leader');
    expect(metrics).toMatch(/cnpaas_leader_election_is_leader\{lease="test\/lease"\} 1/);
    await b.mgr.stop();
    await bRun;
  });

  it('stops in order: informers, then running reconciles finish, then the lease is released', async () => {
    const w = world();
    w.collections['tenants']?.putSilently(tenant('t-1'));
    const gate = deferred();
    const seen: string[] = [];
    const a = manager(w, 'a', {}, async () => {
      await gate.promise;
      seen.push(
        `reconcile done, watching=${w.collections['tenants']?.watching}, holder=${w.lease.record?.holderIdentity}`,
      );
    });
    const run = a.mgr.start();
    await w.clock.advance(100);
    const stopped = a.mgr.stop();
    await w.clock.settle();
    expect(w.lease.record?.holderIdentity).toBe('a');
    gate.resolve();
    await stopped;
    await run;
    expect(seen).toEqual(['reconcile done, watching=false, holder=a']);
    expect(w.lease.record?.holderIdentity).toBe('');
  });

  it('gives up waiting for a stuck reconcile after gracefulShutdownMs', async () => {
    const w = world();
    w.collections['tenants']?.putSilently(tenant('t-1'));
    const a = manager(w, 'a', { gracefulShutdownMs: 5_000 }, () => new Promise(() => undefined));
    const run = a.mgr.start();
    await w.clock.advance(100);
    let done = false;
    const stopped = a.mgr.stop().then(() => (done = true));
    await w.clock.advance(4_900);
    expect(done).toBe(false);
    await w.clock.advance(100);
    await stopped;
    await run;
    expect(done).toBe(true);
    expect(w.lease.record?.holderIdentity).toBe('');
  });

  it('rejects with CNPAAS_KUBE_LEADERSHIP_LOST when the lease cannot be renewed', async () => {
    const w = world();
    const a = manager(w, 'a');
    const run = a.mgr.start().catch((e: unknown) => e);
    await w.clock.advance(3_000);
    a.lock.down = true;
    await w.clock.advance(30_000);
    const err = await run;
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).code).toBe('CNPAAS_KUBE_LEADERSHIP_LOST');
    expect(w.collections['tenants']?.watching).toBe(false);
  });

  it('rejects with CNPAAS_KUBE_CACHE_SYNC_TIMEOUT when a cache never syncs, and releases the lease', async () => {
    const w = world();
    (w.collections['namespaces'] as MemoryCollection).listFailures = 1_000; // e.g. RBAC forbids listing
    const a = manager(w, 'a', { cacheSyncTimeoutMs: 60_000 });
    const run = a.mgr.start().catch((e: unknown) => e);
    await w.clock.advance(61_000);
    const err = await run;
    expect((err as KubeError).code).toBe('CNPAAS_KUBE_CACHE_SYNC_TIMEOUT');
    expect(a.reconciled).toEqual([]);
    expect(w.lease.record?.holderIdentity).toBe('');
  });

  it('runs without leader election and refuses late additions', async () => {
    const w = world();
    w.collections['tenants']?.putSilently(tenant('t-1'));
    const a = manager(w, 'a', { leaderElection: undefined });
    const run = a.mgr.start();
    await w.clock.settle();
    expect(a.mgr.ready()).toBe(true);
    expect(a.reconciled).toEqual(['t-1']);
    expect(w.lease.writes).toBe(0);
    expect(() => a.mgr.informer({ ...TENANTS, plural: 'others' })).toThrow(/CNPAAS_KUBE_LIFECYCLE|cannot add/);
    await a.mgr.stop();
    await run;
  });
});
