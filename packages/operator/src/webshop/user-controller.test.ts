/**
 * The order of the User controller's writes, on the in-memory apiserver
 * (test-support.ts), whose every write is held for a turn of the event loop
 * so that what runs at once shows as overlapping. A real kube-apiserver
 * answers too fast and too unevenly to show which requests were in flight
 * together; that the same writes are admitted there, as the operator, under
 * RBAC escalation checks and the confinement policy, is proven in
 * controllers.live.test.ts and registration-flow.live.test.ts.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { controllerRef, FakeClock } from '@cnpaas/kube';
import { silentLog } from '@cnpaas/kube/testing';
import type { ObjectApi, WebshopApi } from './kube-api.js';
import { PASSWORD_ANNOTATION, TENANT_LABEL, USER_FINALIZER } from './names.js';
import * as R from './resources.js';
import { CHILD, FakeCluster, HASH } from './test-support.js';
import type { Tenant, User } from './types.js';
import { userReconciler } from './user-controller.js';

const WRITES = ['create', 'replace', 'jsonPatch', 'mergePatch', 'delete'] as const;

/** Every write logged as `start`/`end` `verb plural name`, each held for one macrotask in between. */
function tracedApi(api: WebshopApi, log: string[]): WebshopApi {
  const traced = (inner: ObjectApi<KubernetesObject>): ObjectApi<KubernetesObject> => {
    const out = { ...inner };
    for (const verb of WRITES) {
      const call = (...args: unknown[]): Promise<unknown> =>
        (inner[verb] as (...a: unknown[]) => Promise<unknown>)(...args);
      (out as Record<string, unknown>)[verb] = async (...args: unknown[]) => {
        const first = args[0] as { metadata?: { name?: string }; name?: string };
        const name = first.metadata?.name ?? first.name;
        const what = `${verb} ${inner.resource.plural} ${name ?? ''}`;
        log.push(`start ${what}`);
        await new Promise((resolve) => setImmediate(resolve));
        try {
          return await call(...args);
        } finally {
          log.push(`end ${what}`);
        }
      };
    }
    return out;
  };
  return Object.fromEntries(
    Object.entries(api).map(([k, v]) => [k, traced(v as ObjectApi<KubernetesObject>)]),
  ) as unknown as WebshopApi;
}

function tenantWithUser(cluster: FakeCluster): User {
  const tenant = cluster.seed<Tenant>(R.TENANTS, { metadata: { name: CHILD } });
  cluster.seed(R.NAMESPACES, {
    metadata: { name: CHILD, labels: { [TENANT_LABEL]: CHILD }, ownerReferences: [controllerRef(tenant)] },
  });
  return cluster.seed<User>(R.USERS, {
    metadata: { name: CHILD, namespace: CHILD, annotations: { [PASSWORD_ANNOTATION]: HASH } },
    spec: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' },
  } as User);
}

describe('the User controller', () => {
  it('makes the independent namespaced children at once, each binding after its Role, and the cluster RBAC after the finalizer', async () => {
    const clock = new FakeClock();
    const cluster = new FakeCluster(clock);
    const user = tenantWithUser(cluster);
    const log: string[] = [];
    const api = tracedApi(cluster.webshopApi(), log);
    const ref = { namespace: CHILD, name: CHILD };
    const key = `${CHILD}/${CHILD}`;
    await userReconciler({ api, clock }).reconcile(key, {
      key,
      object: user,
      log: silentLog,
      signal: new AbortController().signal,
      retries: 0,
    });

    const at = (entry: string): number => {
      const i = log.indexOf(entry);
      expect(i, `${entry} in\n${log.join('\n')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const apiServer = `${CHILD}-api-server`;
    const first = [
      `create serviceaccounts ${CHILD}`,
      `create roles ${CHILD}`,
      `create roles ${apiServer}`,
      `create secrets ${CHILD}-password`,
    ];
    // All four were sent before any of them was answered.
    const firstEnd = log.findIndex((e) => e.startsWith('end '));
    for (const w of first) expect(at(`start ${w}`)).toBeLessThan(firstEnd);
    // A binding only once its Role exists (kube-apiserver checks the Role's rules against the creator's).
    for (const name of [CHILD, apiServer])
      expect(at(`start create rolebindings ${name}`)).toBeGreaterThan(at(`end create roles ${name}`));
    // The finalizer (with the consumed hash) once the Secret holds it, and before anything cluster-scoped.
    const patch = `jsonPatch users ${CHILD}`;
    expect(at(`start ${patch}`)).toBeGreaterThan(at(`end create secrets ${CHILD}-password`));
    const rbacName = `webshop-user.${CHILD}.${CHILD}`;
    expect(at(`start create clusterroles ${rbacName}`)).toBeGreaterThan(at(`end ${patch}`));
    expect(at(`start create clusterrolebindings ${rbacName}`)).toBeGreaterThan(
      at(`end create clusterroles ${rbacName}`),
    );

    const stored = cluster.find<User>(R.USERS, ref)!;
    expect(stored.metadata?.finalizers).toEqual([USER_FINALIZER]);
    expect(stored.metadata?.annotations?.[PASSWORD_ANNOTATION]).toBeUndefined();
    expect(stored.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('waits for every branch before it fails, and touches neither the User nor cluster RBAC when one failed', async () => {
    const clock = new FakeClock();
    const cluster = new FakeCluster(clock);
    const user = tenantWithUser(cluster);
    cluster.failNext('create', 'roles', { code: 500 });
    const log: string[] = [];
    const api = tracedApi(cluster.webshopApi(), log);
    const ref = { namespace: CHILD, name: CHILD };
    const key = `${CHILD}/${CHILD}`;
    const run = userReconciler({ api, clock }).reconcile(key, {
      key,
      object: user,
      log: silentLog,
      signal: new AbortController().signal,
      retries: 0,
    });
    await expect(run).rejects.toThrow(/injected failure: create roles/);
    // Nothing left in flight when the error reached the queue: every start has its end.
    expect(log.filter((e) => e.startsWith('start ')).length).toBe(log.filter((e) => e.startsWith('end ')).length);
    expect(log.some((e) => e.includes('jsonPatch users') || e.includes('clusterrole'))).toBe(false);
    expect(cluster.find<User>(R.USERS, ref)?.metadata?.finalizers).toBeUndefined();
  });
});
