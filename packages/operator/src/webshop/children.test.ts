/**
 * Fault injection for ensureChild, on the in-memory apiserver (test-support.ts):
 * another writer creating the object between our GET and our CREATE, at that
 * exact moment, which a real kube-apiserver cannot be made to do on cue.
 * Everything else ensureChild does is proven on a real one, as the operator,
 * in children.live.test.ts.
 */
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
});
