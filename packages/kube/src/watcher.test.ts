/**
 * watcher() on the in-memory MemoryCollection (a fake apiserver collection,
 * for fault injection: ended watches, 410 Gone, failing lists) and
 * FakeClock. ResourceClient's wire protocol is proven by
 * resource-client.test.ts, and the real apiserver path by the live tiers of
 * the packages on the runtime (the api-server's registration flow waits on
 * awaitCondition).
 */
import { ApiException, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { deferred, MemoryCollection, silentLog } from './testing.js';
import { runWatcher, watcher, type WatcherEvent, type WatcherOptions } from './watcher.js';

function user(name: string): KubernetesObject {
  return { apiVersion: 'example.dev/v1', kind: 'User', metadata: { name, namespace: 'ns' } };
}

function describeEvent(e: WatcherEvent<KubernetesObject>): string {
  return e.type === 'Restarted'
    ? `Restarted@${e.resourceVersion} ${e.objects.map((o) => o.metadata?.name).join(',')}`
    : `${e.type} ${e.object.metadata?.name ?? ''}@${e.object.metadata?.resourceVersion}`;
}

/** Runs watcher() in the background, collecting what it yields. */
function consume(api: MemoryCollection, options: WatcherOptions = {}) {
  const clock = new FakeClock(0);
  const stop = new AbortController();
  const seen: string[] = [];
  const iterator = watcher(api, {
    clock,
    log: silentLog,
    signal: stop.signal,
    backoff: { random: () => 0 },
    ...options,
  });
  const done = (async () => {
    for await (const event of iterator) seen.push(describeEvent(event));
  })();
  return { clock, stop, seen, done };
}

describe('watcher()', () => {
  it('lists into one Restarted event, then yields watch events from the list resourceVersion', async () => {
    const api = new MemoryCollection();
    api.putSilently(user('a'));
    api.putSilently(user('b'));
    const { clock, stop, seen, done } = consume(api);
    await clock.settle();
    api.put(user('c'));
    api.remove('ns/a');
    await clock.settle();
    expect(seen).toEqual(['Restarted@102 a,b', 'ADDED c@103', 'DELETED a@104']);
    expect(api.watches[0]).toMatchObject({ resourceVersion: '102', allowWatchBookmarks: true });
    stop.abort();
    await done;
    expect(api.watching).toBe(false);
  });

  it('starts from a given resourceVersion without a list', async () => {
    const api = new MemoryCollection();
    const { clock, stop, seen, done } = consume(api, { resourceVersion: '100' });
    await clock.settle();
    api.put(user('x'));
    await clock.settle();
    expect(api.lists).toBe(0);
    expect(seen).toEqual(['ADDED x@101']);
    stop.abort();
    await done;
  });

  it('advances the resourceVersion on bookmarks without yielding them, and resumes from it after a dropped stream', async () => {
    const api = new MemoryCollection();
    const { clock, stop, seen, done } = consume(api);
    await clock.settle();
    api.put(user('a'));
    api.bookmark();
    const bookmarkRv = String(api.rv);
    await clock.advance(2000);
    api.endWatch();
    await clock.settle();
    expect(seen).toEqual(['Restarted@100 ', 'ADDED a@101']);
    expect(api.lists).toBe(1);
    expect(api.watches.map((w) => w.resourceVersion)).toEqual(['100', bookmarkRv]);
    stop.abort();
    await done;
  });

  it('yields bookmarks when asked', async () => {
    const api = new MemoryCollection();
    const { clock, stop, seen, done } = consume(api, { bookmarks: true });
    await clock.settle();
    api.bookmark();
    await clock.settle();
    expect(seen.at(-1)).toMatch(/^BOOKMARK @\d+$/);
    stop.abort();
    await done;
  });

  it('relists at once on 410 Gone; a second 410 before any event backs off first', async () => {
    const api = new MemoryCollection();
    api.putSilently(user('a'));
    const { clock, stop, seen, done } = consume(api);
    await clock.settle();
    api.removeSilently('ns/a');
    api.putSilently(user('b'));
    api.gone();
    await clock.settle();
    expect(api.lists).toBe(2);
    expect(seen).toEqual(['Restarted@101 a', 'Restarted@103 b']);
    api.gone(); // again, with no event since the relist
    await clock.settle();
    expect(api.lists).toBe(2);
    await clock.advance(400); // first backoff: 800 ms with equal jitter and random 0
    expect(api.lists).toBe(3);
    expect(api.watching).toBe(true);
    stop.abort();
    await done;
  });

  it('retries failures with backoff, and throws what retryable() refuses', async () => {
    const api = new MemoryCollection();
    api.listFailures = 1;
    const { clock, stop, seen, done } = consume(api, {
      retryable: (err) => (err as ApiException<string>).code !== 403,
    });
    await clock.settle();
    expect(seen).toEqual([]);
    await clock.advance(400);
    expect(seen).toEqual(['Restarted@100 ']);
    api.failWatch(new ApiException(403, 'forbidden', '{}', {}));
    await expect(done).rejects.toMatchObject({ code: 403 });
    stop.abort();
  });

  it('leaving the loop aborts the open watch', async () => {
    const api = new MemoryCollection();
    const clock = new FakeClock(0);
    const iterator = watcher(api, { clock, log: silentLog });
    const loop = (async () => {
      for await (const event of iterator) if (event.type === 'ADDED') return event.object.metadata?.name;
      return undefined;
    })();
    await clock.settle();
    expect(api.watching).toBe(true);
    api.put(user('first'));
    expect(await loop).toBe('first');
    expect(api.watching).toBe(false);
  });

  it('runWatcher: a paused watch closes after the event and reopens from it after beforeWatch, without backoff', async () => {
    const api = new MemoryCollection();
    const clock = new FakeClock(0);
    const stop = new AbortController();
    let gate = deferred();
    const reports: string[] = [];
    api.listFailures = 1;
    const run = runWatcher(
      api,
      {
        clock,
        log: silentLog,
        signal: stop.signal,
        backoff: { random: () => 0 },
        beforeWatch: () => gate.promise,
        onFailure: (_err, failures) => reports.push(`failure ${failures}`),
        onSuccess: () => reports.push('ok'),
      },
      (event) => (event.type === 'ADDED' ? 'pause' : undefined),
    );
    await clock.advance(400); // the failed list's backoff
    expect(reports).toEqual(['failure 1', 'ok']);
    expect(api.watching).toBe(false); // beforeWatch holds the watch back
    gate.resolve();
    await clock.settle();
    expect(api.watching).toBe(true);
    gate = deferred();
    api.put(user('a'));
    await clock.settle();
    expect(api.watching).toBe(false); // paused after the event, waiting in beforeWatch again
    gate.resolve();
    await clock.settle();
    expect(api.watches.map((w) => w.resourceVersion)).toEqual(['100', '101']);
    stop.abort();
    await run;
  });
});
