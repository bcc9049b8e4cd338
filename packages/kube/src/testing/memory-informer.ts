import type { KubernetesObject } from '@kubernetes/client-node';
import { FakeClock } from '../clock.js';
import { Informer, type InformerOptions } from '../informer.js';
import type { ResourceRef } from '../resource.js';
import type { Store } from '../store.js';
import { MemoryCollection, silentLog } from '../testing.js';

/**
 * An Informer of `resource` over a MemoryCollection, on a fake clock at 0:
 * no jitter (random 0) and no resync unless `options` say otherwise.
 */
export function memoryInformer(resource: ResourceRef, options: Partial<InformerOptions<KubernetesObject>> = {}) {
  const clock = new FakeClock(0);
  const api = new MemoryCollection();
  const informer = new Informer({
    resource,
    listerWatcher: api,
    clock,
    log: silentLog,
    random: () => 0,
    resyncPeriodMs: 0,
    ...options,
  });
  return { clock, api, informer };
}

/** The names of the objects a store holds, sorted. */
export function storedNames(store: Store<KubernetesObject>): string[] {
  return store
    .list()
    .map((o) => o.metadata?.name ?? '')
    .sort();
}
