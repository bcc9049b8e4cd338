/**
 * awaitCondition on MemoryCollection (a fake apiserver collection, for
 * fault injection: 410 Gone, deletions a watch never sees) and FakeClock.
 * The HTTP path (ResourceClient.objectListerWatcher: a GET and a
 * field-selected watch) is proven by the api-server's registration-flow
 * tests against its HTTPS fake kube API, and the real apiserver by the e2e
 * demo.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { awaitCondition, isDeleted, type ObjectWatchSource } from './await-condition.js';
import { FakeClock } from './clock.js';
import { KubeError } from './errors.js';
import type { NamespacedName } from './keys.js';
import type { ListerWatcher } from './list-watch.js';
import { MemoryCollection, silentLog, type TestObject, TEST_KINDS } from './testing.js';

const { users: USERS } = TEST_KINDS;

/** objectListerWatcher over the in-memory collection, as ResourceClient does it over HTTP: GET, then a watch by name. */
function source(api: MemoryCollection): ObjectWatchSource<KubernetesObject> & { gets: number } {
  const s = {
    resource: USERS,
    gets: 0,
    objectListerWatcher(ref: NamespacedName): ListerWatcher<KubernetesObject> {
      const key = `${ref.namespace}/${ref.name}`;
      return {
        list: async () => {
          s.gets++;
          const obj = api.objects.get(key);
          return obj
            ? { metadata: { resourceVersion: obj.metadata?.resourceVersion ?? '' }, items: [structuredClone(obj)] }
            : { metadata: { resourceVersion: '' }, items: [] };
        },
        watch: (options, onEvent) =>
          api.watch(options, (e) => {
            if (e.type === 'BOOKMARK' || e.object.metadata?.name === ref.name) onEvent(e);
          }),
      };
    },
  };
  return s;
}

function user(name: string, extra: Partial<TestObject> = {}): TestObject {
  return {
    apiVersion: 'example.dev/v1',
    kind: 'User',
    metadata: { name, namespace: 'ns', uid: `uid-${name}` },
    ...extra,
  };
}

const REF = { namespace: 'ns', name: 'a' };
const ready = (o: KubernetesObject | undefined): boolean => (o as TestObject | undefined)?.status === 'ready';

describe('awaitCondition', () => {
  it('resolves with the first state that satisfies the condition, watching from the given resourceVersion', async () => {
    const api = new MemoryCollection();
    const created = api.put(user('a'));
    const clock = new FakeClock(0);
    const states: unknown[] = [];
    const waiting = awaitCondition(source(api), REF, ready, {
      fromResourceVersion: created.metadata?.resourceVersion,
      clock,
      log: silentLog,
      onChange: (o) => states.push((o as TestObject | undefined)?.status),
    });
    await clock.settle();
    api.put(user('b', { status: 'ready' })); // another object: not looked at
    api.put(user('a', { status: 'pending' }));
    api.put(user('a', { status: 'ready' }));
    const result = (await waiting) as TestObject;
    expect(result.status).toBe('ready');
    expect(result.metadata?.resourceVersion).toBe(String(api.rv));
    expect(states).toEqual(['pending', 'ready']);
    expect(api.watches[0]?.resourceVersion).toBe(created.metadata?.resourceVersion);
    expect(api.watching).toBe(false);
  });

  it('without a resourceVersion, reads the object first and may be done at once', async () => {
    const api = new MemoryCollection();
    api.put(user('a', { status: 'ready' }));
    const src = source(api);
    const result = await awaitCondition(src, REF, ready, { clock: new FakeClock(0), log: silentLog });
    expect(src.gets).toBe(1);
    expect((result as TestObject).status).toBe('ready');
    expect(api.watching).toBe(false); // a watch the watcher opened meanwhile was aborted
  });

  it('isDeleted(uid): resolves with the DELETED object, its last state', async () => {
    const api = new MemoryCollection();
    const created = api.put(user('a'));
    const clock = new FakeClock(0);
    const waiting = awaitCondition(source(api), REF, isDeleted(created.metadata?.uid), {
      fromResourceVersion: created.metadata?.resourceVersion,
      clock,
      log: silentLog,
    });
    await clock.settle();
    api.put(user('a', { status: 'done' }));
    api.remove('ns/a');
    expect(((await waiting) as TestObject).status).toBe('done');
  });

  it('after 410 Gone, a GET that finds the object gone satisfies isDeleted with undefined', async () => {
    const api = new MemoryCollection();
    const created = api.put(user('a'));
    const clock = new FakeClock(0);
    const src = source(api);
    const waiting = awaitCondition(src, REF, isDeleted(created.metadata?.uid), {
      fromResourceVersion: created.metadata?.resourceVersion,
      clock,
      log: silentLog,
    });
    await clock.settle();
    api.removeSilently('ns/a'); // deleted while the watch was compacted away
    api.gone();
    expect(await waiting).toBeUndefined();
    expect(src.gets).toBe(1);
  });

  it('an object with the same name but another uid counts as deleted', () => {
    expect(isDeleted('uid-1')(user('a', { metadata: { name: 'a', uid: 'uid-2' } }))).toBe(true);
    expect(isDeleted('uid-1')(user('a', { metadata: { name: 'a', uid: 'uid-1' } }))).toBe(false);
    expect(isDeleted('uid-1')(undefined)).toBe(true);
  });

  it('gives up after timeoutMs with CNPAAS_KUBE_CONDITION_TIMEOUT, and rejects with the reason of an aborted signal', async () => {
    const api = new MemoryCollection();
    const created = api.put(user('a'));
    const clock = new FakeClock(0);
    const rv = created.metadata?.resourceVersion;
    const timedOut = awaitCondition(source(api), REF, ready, {
      fromResourceVersion: rv,
      clock,
      log: silentLog,
      timeoutMs: 5000,
    });
    const caught = timedOut.catch((e: unknown) => e);
    await clock.advance(4999);
    expect(api.watching).toBe(true);
    await clock.advance(1);
    const err = await caught;
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).code).toBe('CNPAAS_KUBE_CONDITION_TIMEOUT');
    expect(api.watching).toBe(false);

    const stop = new AbortController();
    const aborted = awaitCondition(source(api), REF, ready, {
      fromResourceVersion: rv,
      clock,
      log: silentLog,
      signal: stop.signal,
    });
    await clock.settle();
    stop.abort(new Error('caller left'));
    await expect(aborted).rejects.toThrow('caller left');
    expect(api.watching).toBe(false);
  });
});
