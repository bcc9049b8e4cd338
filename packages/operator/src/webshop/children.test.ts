/** ensureChild on the in-memory apiserver (test-support.ts): a live kube-apiserver is not available to unit tests yet. */
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '@cnpaas/kube';
import { ensureChild, labelledFor } from './children.js';
import type { ObjectApi } from './kube-api.js';
import { REGISTRATION_UID_LABEL } from './names.js';
import * as R from './resources.js';
import { FakeCluster } from './test-support.js';

const tenant = (uid: string): KubernetesObject => ({
  metadata: { name: 't-1', labels: { [REGISTRATION_UID_LABEL]: uid } },
});

describe('ensureChild', () => {
  it('creates when missing, and finds its own object on the next run without writing', async () => {
    const cluster = new FakeCluster(new FakeClock());
    const api = cluster.api(R.TENANTS);
    expect((await ensureChild({ api, desired: tenant('a'), isOurs: labelledFor('a') })).outcome).toBe('created');
    expect((await ensureChild({ api, desired: tenant('a'), isOurs: labelledFor('a') })).outcome).toBe('exists');
    expect(cluster.writes).toEqual(['create tenants t-1']);
  });

  it('reports a conflict for an object that is not ours and leaves it untouched', async () => {
    const cluster = new FakeCluster(new FakeClock());
    const api = cluster.api(R.TENANTS);
    cluster.seed(R.TENANTS, tenant('other'));
    const result = await ensureChild({
      api,
      desired: tenant('a'),
      isOurs: labelledFor('a'),
      repair: () => tenant('a'),
    });
    expect(result.outcome).toBe('conflict');
    expect(cluster.find(R.TENANTS, { name: 't-1' })?.metadata?.labels?.[REGISTRATION_UID_LABEL]).toBe('other');
    expect(cluster.writes).toEqual([]);
  });

  it('handles losing the create race (GET said missing, CREATE says AlreadyExists) by reading the winner', async () => {
    const cluster = new FakeCluster(new FakeClock());
    const real = cluster.api<KubernetesObject>(R.TENANTS);
    let firstGet = true;
    // Another worker creates the object between our GET and our CREATE.
    const racing: ObjectApi<KubernetesObject> = {
      ...real,
      get: async (t) => {
        if (firstGet) {
          firstGet = false;
          cluster.seed(R.TENANTS, tenant('a'));
          throw Object.assign(new Error('not found'), { code: 404 });
        }
        return real.get(t);
      },
    };
    const result = await ensureChild({ api: racing, desired: tenant('a'), isOurs: labelledFor('a') });
    expect(result.outcome).toBe('exists');
    expect(cluster.objects(R.TENANTS)).toHaveLength(1);
  });

  it('repairs a drifted object of ours with a compare-and-swap replace', async () => {
    const cluster = new FakeCluster(new FakeClock());
    const api = cluster.api<KubernetesObject & { rules?: unknown[] }>(R.ROLES);
    cluster.seed(R.NAMESPACES, { metadata: { name: 'ns' } });
    cluster.seed(R.ROLES, {
      metadata: { name: 'r', namespace: 'ns', labels: { [REGISTRATION_UID_LABEL]: 'a' } },
      rules: [],
    } as KubernetesObject);
    const desired = {
      metadata: { name: 'r', namespace: 'ns', labels: { [REGISTRATION_UID_LABEL]: 'a' } },
      rules: [{ verbs: ['get'] }],
    };
    const result = await ensureChild({
      api,
      desired,
      isOurs: labelledFor('a'),
      repair: (e) => ((e as { rules?: unknown[] }).rules?.length ? undefined : { ...e, rules: desired.rules }),
    });
    expect(result.outcome).toBe('updated');
    expect(
      cluster.find<KubernetesObject & { rules?: unknown[] }>(R.ROLES, { namespace: 'ns', name: 'r' })?.rules,
    ).toEqual([{ verbs: ['get'] }]);
  });
});
