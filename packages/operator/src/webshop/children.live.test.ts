/**
 * ensureChild on a real kube-apiserver on cnpaas-store (@cnpaas/platform/testing),
 * as the operator's own identity under its RBAC and confinement policy: the
 * AlreadyExists, the UIDs and resourceVersions are the apiserver's, and a
 * repair is a real compare-and-swap. Losing the create race (GET said missing,
 * CREATE says AlreadyExists) needs another writer at one exact moment, so it
 * stays in memory (children.test.ts).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ensureChild, labelledFor } from './children.js';
import { withCache } from './kube-api.js';
import { recorded, useOperatorControlPlane } from './live-test-support.js';
import { MANAGED_BY_LABEL, OPERATOR_NAME, REGISTRATION_UID_LABEL } from './names.js';
import type { Role, Tenant } from './types.js';

const env = useOperatorControlPlane();

const tenant = (name: string, uid: string): Tenant => ({
  metadata: { name, labels: { [REGISTRATION_UID_LABEL]: uid } },
  spec: { country: 'DE', city: 'Berlin', address: 'x', postalCode: '1' },
});

describe('ensureChild (live)', () => {
  it('creates when missing, and finds its own object on the next run without writing', async () => {
    const { api, writes } = recorded(env.operator);
    const first = await ensureChild({ api: api.tenants, desired: tenant('ch-create', 'a'), isOurs: labelledFor('a') });
    expect(first.outcome).toBe('created');
    const second = await ensureChild({ api: api.tenants, desired: tenant('ch-create', 'a'), isOurs: labelledFor('a') });
    expect(second.outcome).toBe('exists');
    // The same object the apiserver made: its UID, unchanged since.
    expect(second.object.metadata?.uid).toBe(first.object.metadata?.uid);
    expect(second.object.metadata?.resourceVersion).toBe(first.object.metadata?.resourceVersion);
    expect(writes).toEqual(['create tenants ch-create']);
  });

  it('reports a conflict for an object that is not ours and leaves it untouched', async () => {
    const theirs = await env.admin.tenants.create(tenant('ch-conflict', 'other'));
    const { api, writes } = recorded(env.operator);
    const result = await ensureChild({
      api: api.tenants,
      desired: tenant('ch-conflict', 'a'),
      isOurs: labelledFor('a'),
      repair: () => tenant('ch-conflict', 'a'),
    });
    expect(result.outcome).toBe('conflict');
    const stored = await env.admin.tenants.get({ name: 'ch-conflict' });
    expect(stored.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe('other');
    expect(stored.metadata?.resourceVersion).toBe(theirs.metadata?.resourceVersion);
    expect(writes).toEqual([]);
  });

  it('creates a child expected absent without a GET, and still finds its own or refuses another', async () => {
    const { api, requests } = recorded(env.operator);
    const desired = tenant('ch-absent', 'a');
    const created = await ensureChild({ api: api.tenants, desired, isOurs: labelledFor('a'), expect: 'absent' });
    expect(created.outcome).toBe('created');
    expect(requests).toEqual(['create tenants ch-absent']);
    // A wrong guess: AlreadyExists, then the GET that tells ours from someone else's.
    const again = await ensureChild({ api: api.tenants, desired, isOurs: labelledFor('a'), expect: 'absent' });
    expect(again).toMatchObject({ outcome: 'exists', object: { metadata: { uid: created.object.metadata?.uid } } });
    const theirs = await ensureChild({
      api: api.tenants,
      desired: tenant('ch-absent', 'b'),
      isOurs: labelledFor('b'),
      expect: 'absent',
    });
    expect(theirs.outcome).toBe('conflict');
    expect(requests.slice(1)).toEqual([
      'create tenants ch-absent',
      'get tenants ch-absent',
      'create tenants ch-absent',
      'get tenants ch-absent',
    ]);
    expect((await env.admin.tenants.get({ name: 'ch-absent' })).metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe('a');
  });

  it('reads a child expected present although a synced cache lacks it, instead of trying a create', async () => {
    await env.admin.tenants.create(tenant('ch-present', 'a'));
    const { api, requests } = recorded(env.operator);
    // An informer that has synced but not seen this Tenant yet (it lags behind the create).
    const tenants = withCache(api.tenants, { store: { get: () => undefined }, hasSynced: () => true });
    const result = await ensureChild({
      api: tenants,
      desired: tenant('ch-present', 'a'),
      isOurs: labelledFor('a'),
      expect: 'present',
    });
    expect(result.outcome).toBe('exists');
    expect(requests).toEqual(['get tenants ch-present']);
  });

  it('repairs a drifted object of ours with a compare-and-swap replace', async () => {
    // A ClusterRole the operator may write: named webshop-user.*, labelled as its own.
    const name = 'webshop-user.children-repair';
    const labels = { [MANAGED_BY_LABEL]: OPERATOR_NAME, [REGISTRATION_UID_LABEL]: 'a' };
    const drifted = await env.admin.clusterRoles.create({ metadata: { name, labels }, rules: [] });
    const rules = [{ apiGroups: ['webshop.cnpaas.dev'], resources: ['tenants'], resourceNames: ['x'], verbs: ['get'] }];
    const { api, writes } = recorded(env.operator);
    const result = await ensureChild<Role>({
      api: api.clusterRoles,
      desired: { metadata: { name, labels }, rules },
      isOurs: labelledFor('a'),
      repair: (e) => (e.rules?.length ? undefined : { ...e, rules }),
    });
    expect(result.outcome).toBe('updated');
    expect(writes).toEqual([`update clusterroles ${name}`]);
    expect((await env.admin.clusterRoles.get({ name })).rules).toEqual(rules);
    // The replace carried the resourceVersion it read: one from before a change is refused (409).
    await expect(
      env.operator.clusterRoles.replace({ ...(drifted as KubernetesObject), rules: [] } as Role),
    ).rejects.toMatchObject({ code: 409 });
    expect((await env.admin.clusterRoles.get({ name })).rules).toEqual(rules);
  });
});
