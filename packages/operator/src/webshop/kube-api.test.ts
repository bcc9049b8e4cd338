import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { getOrUndefined, withCache, type ObjectApi } from './kube-api.js';
import { TENANTS } from './resources.js';

/** An ObjectApi whose GET answers from a map and counts the calls; the other verbs are not used here. */
function countingApi(objects: Map<string, KubernetesObject>): ObjectApi<KubernetesObject> & { gets: number } {
  const api = {
    resource: TENANTS,
    gets: 0,
    get: async (target: { name: string }) => {
      api.gets++;
      const o = objects.get(target.name);
      if (!o) throw Object.assign(new Error('not found'), { code: 404 });
      return structuredClone(o);
    },
  };
  return api as unknown as ObjectApi<KubernetesObject> & { gets: number };
}

describe('withCache', () => {
  it('calls an object likely absent only when the synced informer would hold it and does not', () => {
    const live = countingApi(new Map());
    const store = new Map([['t-1', { metadata: { name: 't-1' } }]]);
    let synced = false;
    const labelled = (o: KubernetesObject) => o.metadata?.labels?.['tenant'] !== undefined;
    const api = withCache(live, { store, hasSynced: () => synced }, labelled);
    const newOne = { metadata: { name: 't-9', labels: { tenant: 'x' } } };
    expect(api.cache!.likelyAbsent(newOne)).toBe(false); // not synced: it may simply not have arrived
    synced = true;
    expect(api.cache!.likelyAbsent(newOne)).toBe(true);
    expect(api.cache!.likelyAbsent({ metadata: { name: 't-9' } })).toBe(false); // outside its selector
    expect(api.cache!.likelyAbsent({ metadata: { name: 't-1', labels: { tenant: 'x' } } })).toBe(false);
  });

  const tenant = { metadata: { name: 't-1', resourceVersion: '5' } };

  it('answers a read the informer holds without a request, as a copy the caller may change', async () => {
    const live = countingApi(new Map([['t-1', tenant]]));
    const store = new Map([['t-1', tenant]]);
    const api = withCache(live, { store, hasSynced: () => true });
    const read = await getOrUndefined(api, { name: 't-1' });
    expect(read).toEqual(tenant);
    expect(live.gets).toBe(0);
    read!.metadata!.name = 'changed';
    expect(store.get('t-1')!.metadata.name).toBe('t-1');
  });

  it('asks the apiserver on a miss, so absence is always a consistent read', async () => {
    const live = countingApi(new Map([['t-2', { metadata: { name: 't-2' } }]]));
    const api = withCache(live, { store: new Map(), hasSynced: () => true });
    expect(await getOrUndefined(api, { name: 't-2' })).toEqual({ metadata: { name: 't-2' } });
    expect(await getOrUndefined(api, { name: 't-3' })).toBeUndefined();
    expect(live.gets).toBe(2);
  });
});
