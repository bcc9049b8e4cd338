/**
 * Fault injection: the whole registration flow through the Manager on the
 * in-memory apiserver (test-support.ts), with one request failing before or
 * after its write, as a crash or an apiserver error there would. A real
 * kube-apiserver cannot be made to fail one chosen request on cue; the flow
 * itself, its RBAC, admission, garbage collection and namespace deletion are
 * proven on a real one in registration-flow.live.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, Manager } from '@cnpaas/kube';
import { silentLog } from '@cnpaas/kube/testing';
import { addWebshopControllers } from './controllers.js';
import { PASSWORD_ANNOTATION } from './names.js';
import * as R from './resources.js';
import { CHILD, FakeCluster, registrationRequest, seedSystem } from './test-support.js';
import type { User } from './types.js';

function stack() {
  const clock = new FakeClock();
  const cluster = new FakeCluster(clock);
  seedSystem(cluster);
  const mgr = new Manager({
    clock,
    log: silentLog,
    listerWatcher: cluster.listerWatcher,
    informerDefaults: { resyncPeriodMs: 0 },
  });
  addWebshopControllers({ manager: mgr, api: cluster.webshopApi(), clock });
  void mgr.start();
  running.push(mgr);
  return { clock, cluster, api: cluster.webshopApi() };
}

const running: Manager[] = [];
afterEach(async () => {
  for (const mgr of running.splice(0)) await mgr.stop();
});

describe('the registration flow under injected faults (in memory)', () => {
  // Each of these fails once at one step, like a crash or an apiserver error there.
  const faults: Array<[verb: 'create' | 'patch' | 'delete' | 'get', plural: string]> = [
    ['create', 'tenants'],
    ['create', 'namespaces'],
    ['get', 'namespaces'],
    ['create', 'users'],
    ['get', 'emailtemplates'],
    ['create', 'emails'],
    ['patch', 'registrationrequests'],
    ['delete', 'registrationrequests'],
    ['create', 'serviceaccounts'],
    ['create', 'roles'],
    ['create', 'rolebindings'],
    ['create', 'secrets'],
    ['patch', 'users'],
    ['create', 'clusterrolebindings'],
  ];
  const cases = faults.flatMap(([verb, plural]) => [
    [verb, plural, 'before'] as const,
    ...(verb === 'get' ? [] : [[verb, plural, 'after'] as const]),
  ]);
  it.each(cases)('finishes without duplicates when %s %s fails %s the write', async (verb, plural, when) => {
    const s = stack();
    await s.clock.advance(100);
    s.cluster.failNext(verb, plural, { times: 2, afterWrite: when === 'after' });
    await s.api.registrationRequests.create(registrationRequest());
    await s.clock.advance(10_000);
    expect(s.cluster.objects(R.REGISTRATION_REQUESTS)).toEqual([]);
    for (const ref of [R.TENANTS, R.USERS, R.EMAILS, R.SECRETS, R.CLUSTER_ROLES])
      expect(s.cluster.objects(ref)).toHaveLength(1);
    const user = s.cluster.find<User>(R.USERS, { namespace: CHILD, name: CHILD })!;
    expect(user.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBeUndefined();
    const creates = s.cluster.writes.filter((w) => w.startsWith('create '));
    expect(new Set(creates).size).toBe(creates.length);
  });
});
