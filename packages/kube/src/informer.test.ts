import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { MemoryCollection, silentLog, TEST_KINDS } from './testing.js';
import { Informer, type InformerOptions } from './informer.js';
import { memoryInformer, storedNames } from './testing/memory-informer.js';

const { users: USERS } = TEST_KINDS;

function user(name: string, extra: Record<string, unknown> = {}): KubernetesObject {
  return { apiVersion: 'example.dev/v1', kind: 'User', metadata: { name, namespace: 'ns' }, ...extra };
}

function setup(options: Partial<InformerOptions<KubernetesObject>> = {}) {
  const { clock, api, informer } = memoryInformer(USERS, options);
  const events: string[] = [];
  informer.addEventHandler({
    onAdd: (o) => events.push(`add ${o.metadata?.name}`),
    onUpdate: (a, b) => events.push(a === b ? `resync ${b.metadata?.name}` : `update ${b.metadata?.name}`),
    onDelete: (o) => events.push(`delete ${o.metadata?.name}`),
  });
  return { clock, api, informer, events };
}

describe('Informer', () => {
  it('lists, fills the store, reports synced, then watches from the list resourceVersion', async () => {
    const { clock, api, informer, events } = setup();
    api.putSilently(user('a'));
    api.putSilently(user('b'));
    const synced = informer.waitForSync();
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    await clock.settle();
    expect(await synced).toBe(true);
    expect(informer.hasSynced()).toBe(true);
    expect(events.sort()).toEqual(['add a', 'add b']);
    expect(informer.store.get('ns/a')?.metadata?.name).toBe('a');
    expect(api.watches).toEqual([{ resourceVersion: '102', allowWatchBookmarks: true, timeoutSeconds: 300 }]);
    await informer.stop();
  });

  it('applies watch events to the store and handlers; same-version events are not updates', async () => {
    const { clock, api, informer, events } = setup();
    informer.start();
    await clock.settle();
    const a = api.put(user('a'));
    api.put({ ...user('a'), spec: { x: 1 } });
    api.remove('ns/a');
    api.bookmark();
    expect(events).toEqual(['add a', 'update a', 'delete a']);
    expect(informer.store.size).toBe(0);
    expect(informer.lastSyncResourceVersion()).toBe(String(api.rv));
    expect(a.metadata?.resourceVersion).toBe('101');
    await informer.stop();
  });

  it('resumes a normally ended watch from the last resourceVersion without relisting', async () => {
    const { clock, api, informer } = setup();
    informer.start();
    await clock.settle();
    api.put(user('a'));
    await clock.advance(2000);
    api.endWatch();
    await clock.settle();
    expect(api.lists).toBe(1);
    expect(api.watches.map((w) => w.resourceVersion)).toEqual(['100', '101']);
    await informer.stop();
  });

  it('relists at once on 410 Gone, emitting deletes for objects that vanished and adds for new ones', async () => {
    const { clock, api, informer, events } = setup();
    api.putSilently(user('stays'));
    api.putSilently(user('goes'));
    informer.start();
    await clock.settle();
    events.length = 0;
    api.removeSilently('ns/goes');
    api.putSilently(user('new'));
    api.gone();
    await clock.settle();
    expect(api.lists).toBe(2);
    expect(events.sort()).toEqual(['add new', 'delete goes']);
    expect(storedNames(informer.store)).toEqual(['new', 'stays']);
    expect(api.watching).toBe(true);
    await informer.stop();
  });

  it('retries a failing list with capped exponential backoff, and syncs once it works', async () => {
    const { clock, api, informer } = setup();
    api.listFailures = 3;
    const times: number[] = [];
    const list = api.list.bind(api);
    api.list = () => (times.push(clock.now()), list());
    informer.start();
    await clock.advance(10_000);
    // random = 0: half of 800, 1600, 3200 ms.
    expect(times).toEqual([0, 400, 1200, 2800]);
    expect(informer.hasSynced()).toBe(true);
    await informer.stop();
  });

  it('backoff grows to the cap and jitters within [cap/2, cap]', () => {
    const low = new Informer({
      resource: USERS,
      listerWatcher: new MemoryCollection(),
      log: silentLog,
      random: () => 0,
    });
    const high = new Informer({
      resource: USERS,
      listerWatcher: new MemoryCollection(),
      log: silentLog,
      random: () => 0.999,
    });
    expect([1, 2, 3].map((n) => low.backoffDelay(n))).toEqual([400, 800, 1600]);
    expect(low.backoffDelay(30)).toBe(15_000);
    expect(high.backoffDelay(30)).toBeGreaterThan(29_900);
    expect(high.backoffDelay(30)).toBeLessThanOrEqual(30_000);
  });

  it('backs off after a watch failure and resumes from the last resourceVersion', async () => {
    const { clock, api, informer } = setup();
    informer.start();
    await clock.settle();
    api.put(user('a'));
    api.failWatch(new Error('socket hang up'));
    await clock.advance(399);
    expect(api.watches).toHaveLength(1);
    await clock.advance(1);
    expect(api.watches.map((w) => w.resourceVersion)).toEqual(['100', '101']);
    expect(api.lists).toBe(1);
    await informer.stop();
  });

  it('treats a watch that ends at once without events as a failure (no hot loop)', async () => {
    const { clock, api, informer } = setup();
    informer.start();
    await clock.settle();
    api.endWatch();
    await clock.settle();
    expect(api.watches).toHaveLength(1);
    await clock.advance(400);
    expect(api.watches).toHaveLength(2);
    await informer.stop();
  });

  it('re-delivers every cached object as an update each resync period', async () => {
    const { clock, api, informer, events } = setup({ resyncPeriodMs: 60_000 });
    api.putSilently(user('a'));
    informer.start();
    await clock.advance(59_999);
    expect(events).toEqual(['add a']);
    await clock.advance(1);
    expect(events).toEqual(['add a', 'resync a']);
    await clock.advance(60_000);
    expect(events).toEqual(['add a', 'resync a', 'resync a']);
    await informer.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('replays cached objects to a handler added late', async () => {
    const { clock, api, informer } = setup();
    api.putSilently(user('a'));
    informer.start();
    await clock.settle();
    const late: string[] = [];
    informer.addEventHandler({ onAdd: (o) => late.push(o.metadata?.name ?? '') });
    expect(late).toEqual(['a']);
    await informer.stop();
  });

  it('keeps going when a handler throws', async () => {
    const { clock, api, informer, events } = setup();
    informer.addEventHandler({
      onAdd: () => {
        throw new Error('bad handler');
      },
    });
    informer.start();
    await clock.settle();
    api.put(user('a'));
    api.put(user('b'));
    expect(events).toEqual(['add a', 'add b']);
    await informer.stop();
  });

  it('stop ends the watch and the loop; waitForSync then answers false', async () => {
    const { clock, api, informer } = setup();
    api.listFailures = 100;
    informer.start();
    const synced = informer.waitForSync();
    await clock.advance(1000);
    await informer.stop();
    expect(await synced).toBe(false);
    expect(api.watching).toBe(false);
  });
});
