/**
 * `watcher()`: list+watch as an async iterator, the way kube-runtime's
 * `watcher` does it (Rust), so every consumer (the informer, awaitCondition,
 * a trigger) gets the same recovery rules instead of its own copy:
 *
 * - without a `resourceVersion` it first lists (all pages) and yields one
 *   `Restarted` event with every object: the consumer replaces its state
 *   with exactly these (kube-runtime's `Event::Restarted`; one event rather
 *   than Init/InitApply/InitDone, since a list arrives whole anyway);
 * - then it watches from the list's resourceVersion (or the one given) and
 *   yields `ADDED`, `MODIFIED` and `DELETED` as they come;
 * - a watch that ends normally (the server's timeout, a dropped stream)
 *   resumes from the last resourceVersion seen, without a relist;
 * - bookmarks are requested and advance that resourceVersion; they are
 *   yielded only with `bookmarks: true`;
 * - 410 Gone (the resourceVersion was compacted away) relists at once and
 *   yields a new `Restarted`; another 410 before any event backs off first;
 * - any other failure (network, 5xx, 403, a failed list) retries after an
 *   exponential backoff with jitter, unless `retryable(err)` says no: then
 *   the iterator throws it;
 * - a watch that ends at once without events counts as a failure, so a
 *   misbehaving server cannot make it spin.
 *
 * It ends when `signal` aborts or the consumer leaves the loop (`break`,
 * `return`, a throw): the open watch is aborted either way. Events are
 * buffered while the consumer is busy (a watch delivers what the apiserver
 * sends); `runWatcher` is the same engine with a synchronous callback.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { backoff, type BackoffSpec } from './backoff.js';
import { realClock, sleep, type Clock } from './clock.js';
import { errorMessage, isGone } from './errors.js';
import type { ListerWatcher, WatchHandle } from './list-watch.js';
import { defaultLogger, type Logger } from './logger.js';

export type WatcherEvent<T extends KubernetesObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  /** A full list: every object that exists now, at `resourceVersion`. Replace your state with it. */
  | { type: 'Restarted'; objects: T[]; resourceVersion: string };

export interface WatcherOptions {
  /** Watch from here without a list first (e.g. the resourceVersion a create returned). */
  resourceVersion?: string | undefined;
  /** Ends the iteration. */
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
  log?: Logger | undefined;
  /** Retry delays. Default 800 ms doubling to 30 s (client-go's reflector), equal jitter. */
  backoff?: Partial<BackoffSpec> | undefined;
  /** Server-side timeout of each watch. Default: random between 5 and 10 min per watch, like client-go. */
  watchTimeoutSeconds?: number | undefined;
  /** Also yield BOOKMARK events (they always advance the resourceVersion). Default false. */
  bookmarks?: boolean | undefined;
  /** False ends the iteration with `err` instead of retrying. Default: everything is retried. */
  retryable?: ((err: unknown) => boolean) | undefined;
}

/** A watch that ends this fast with no event is treated like a failure (backoff), not a normal end. */
export const MIN_HEALTHY_WATCH_MS = 1000;

export const DEFAULT_WATCH_BACKOFF = { baseMs: 800, maxMs: 30_000, factor: 2, jitter: 0.5 } as const;

export async function* watcher<T extends KubernetesObject>(
  lw: ListerWatcher<T>,
  options: WatcherOptions = {},
): AsyncGenerator<WatcherEvent<T>, void, undefined> {
  const stream = new EventStream<WatcherEvent<T>>();
  const left = new AbortController(); // the consumer left the loop
  const signal = options.signal ? AbortSignal.any([options.signal, left.signal]) : left.signal;
  const run = runWatcher(lw, { ...options, signal }, (event) => stream.push(event)).then(
    () => stream.end(),
    (err: unknown) => stream.fail(err),
  );
  try {
    for (;;) {
      const event = await stream.next();
      if (!event) return;
      yield event;
    }
  } finally {
    left.abort();
    await run;
  }
}

/** What a `runWatcher` consumer may add: backpressure and health reports. */
export interface RunWatcherOptions extends WatcherOptions {
  /** Awaited before each watch opens (e.g. until a consumer's backlog has drained). */
  beforeWatch?: ((signal: AbortSignal) => Promise<void>) | undefined;
  /** A list or watch failed (not 410 Gone) and will be retried after a backoff. */
  onFailure?: ((err: unknown, failures: number) => void) | undefined;
  /** It works (again): a list succeeded, a watch delivered its first event, or a watch ended normally. */
  onSuccess?: (() => void) | undefined;
}

/**
 * The engine under `watcher()`, for a consumer that must see each event
 * synchronously as the watch delivers it (the informer: its store and
 * handlers are current the moment a watch callback returns). `onEvent` may
 * return 'pause': the watch closes after this event and reopens from its
 * resourceVersion after `beforeWatch` (no backoff: pausing is not a
 * failure). Resolves when `signal` aborts; rejects with an error
 * `retryable` refused.
 */
export async function runWatcher<T extends KubernetesObject>(
  lw: ListerWatcher<T>,
  options: RunWatcherOptions,
  onEvent: (event: WatcherEvent<T>) => void | 'pause',
): Promise<void> {
  const clock = options.clock ?? realClock;
  const log = options.log ?? defaultLogger();
  const signal = options.signal ?? new AbortController().signal;
  const random = options.backoff?.random ?? Math.random;
  const delay = backoff({ ...DEFAULT_WATCH_BACKOFF, random, ...options.backoff });
  const retryable = options.retryable ?? (() => true);
  let rv = options.resourceVersion ?? '';
  /** A list first: at the start without a resourceVersion, and after 410 Gone. */
  let relist = !options.resourceVersion;
  let failures = 0;
  /** 410s since the last event: a second one means the relist did not help, so back off. */
  let goneInARow = 0;
  while (!signal.aborted) {
    try {
      if (relist) {
        const list = await lw.list({ signal });
        if (signal.aborted) break;
        // An empty resourceVersion (a list that could not say) watches from now.
        rv = list.metadata?.resourceVersion ?? '';
        relist = false;
        onEvent({ type: 'Restarted', objects: list.items, resourceVersion: rv });
        failures = 0;
        options.onSuccess?.();
        if (signal.aborted) break;
      }
      if (options.beforeWatch) await options.beforeWatch(signal);
      if (signal.aborted) break;
      const started = clock.now();
      let events = 0;
      let paused = false;
      const timeoutSeconds = options.watchTimeoutSeconds ?? Math.floor(300 * (1 + random()));
      // Declared before the call: the callback may run before watch() returns (an in-memory
      // collection), and must then see `undefined` rather than hit the temporal dead zone.
      let handle: WatchHandle | undefined;
      // eslint-disable-next-line prefer-const -- see above
      handle = lw.watch({ resourceVersion: rv, timeoutSeconds, allowWatchBookmarks: true }, (event) => {
        // After a pause the stream may still flush buffered lines: they are read again from `rv` later.
        if (signal.aborted || paused) return;
        if (events++ === 0) options.onSuccess?.();
        goneInARow = 0;
        const next = event.object?.metadata?.resourceVersion;
        if (next) rv = next;
        if (event.type === 'BOOKMARK' && !options.bookmarks) return;
        if (onEvent(event) === 'pause') {
          paused = true;
          handle?.abort();
        }
      });
      const onAbort = (): void => handle?.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await handle.done;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      if (signal.aborted) break;
      const durationMs = clock.now() - started;
      if (paused || events > 0 || durationMs >= MIN_HEALTHY_WATCH_MS) {
        failures = 0;
        options.onSuccess?.();
        continue;
      }
      failures++;
      log.warn({ durationMs }, 'watch ended at once without events; backing off');
    } catch (err) {
      if (signal.aborted) break;
      if (isGone(err)) {
        // Compacted past our resourceVersion: only a fresh list can catch up.
        log.info({ resourceVersion: rv }, 'resourceVersion too old (410 Gone); relisting');
        relist = true;
        if (++goneInARow === 1) continue;
        // Gone again with no event since the relist: relisting at once again would spin.
        failures++;
      } else {
        if (!retryable(err)) throw err;
        failures++;
        log.warn({ err: errorMessage(err), failures }, 'list/watch failed; retrying after backoff');
        options.onFailure?.(err, failures);
      }
    }
    await sleep(clock, delay(failures), { signal });
  }
}

/** Watch callbacks turned into an awaitable sequence (unbounded: a watch delivers what the apiserver sends). */
class EventStream<E> {
  readonly #buffer: E[] = [];
  #ended = false;
  #error: { err: unknown } | undefined;
  #wake: (() => void) | undefined;

  push(event: E): void {
    if (this.#ended) return;
    this.#buffer.push(event);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  fail(err: unknown): void {
    if (this.#ended) return;
    this.#error = { err };
    this.end();
  }

  /** The next event; undefined once the stream ended; throws the stream's failure after its events. */
  async next(): Promise<E | undefined> {
    while (this.#buffer.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    const event = this.#buffer.shift();
    if (event) return event;
    if (this.#error) throw this.#error.err;
    return undefined;
  }
}
