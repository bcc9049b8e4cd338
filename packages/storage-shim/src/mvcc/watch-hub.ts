import { type KeyRange, inRange } from '../keys.js';
import type { Event } from '../types.js';
import type { Change } from './txn.js';
import type { Revision } from './store.js';
import type { Backend } from '../backend.js';
import type { StoreSelector } from '../selectors/selector.js';

type HistorySource = Pick<Backend, 'revision' | 'compactRevision' | 'changes' | 'onCommit' | 'onCompactedAhead'>;

export interface WatchFilter {
  noPut: boolean;
  noDelete: boolean;
}

export interface WatcherOptions {
  range: KeyRange;
  /** First revision to deliver. */
  startRevision: number;
  prevKv: boolean;
  filter: WatchFilter;
  /** Selector push-down: only changes into, within or out of the selection (see toEvent). */
  selector?: StoreSelector | undefined;
}

/** Where a watcher's output goes: the gRPC watch stream it belongs to. */
export interface WatchSink {
  events(watcher: Watcher, events: Event[], revision: number): void;
  compacted(watcher: Watcher, compactRevision: number): void;
}

export class Watcher {
  /** The next revision this watcher needs. */
  nextRevision: number;
  synced = false;
  /** Cut off by compaction: it gets nothing more, but stays until cancelled. */
  compacted = false;
  constructor(
    readonly id: number,
    readonly options: WatcherOptions,
    readonly sink: WatchSink,
  ) {
    this.nextRevision = options.startRevision;
  }
}

/** etcd syncs a slow watcher at most this many revisions at a time. */
const CATCH_UP_REVISIONS = 1000;
/** How soon a catch-up that failed (a backend down) is tried again. */
const CATCH_UP_RETRY_MS = 200;

/**
 * Fans committed revisions out to watchers, fed in-process by the store's
 * commit listener (no polling). A watcher that starts in the past first
 * catches up from the store's history, a window at a time, and then joins the
 * live feed; both run on the event loop's single thread, so no revision falls
 * between the two.
 */
export class WatchHub {
  readonly #store: HistorySource;
  readonly #synced = new Set<Watcher>();
  readonly #unsynced = new Set<Watcher>();
  #catchUpScheduled = false;
  readonly #unsubscribe: () => void;
  readonly #unsubscribeCompacted: (() => void) | undefined;

  constructor(store: HistorySource) {
    this.#store = store;
    this.#unsubscribe = store.onCommit((revisions) => this.#publish(revisions));
    this.#unsubscribeCompacted = store.onCompactedAhead?.((rev) => this.#cutOff(rev));
  }

  get size(): number {
    return this.#synced.size + this.#unsynced.size;
  }

  add(watcher: Watcher): void {
    const current = this.#store.revision;
    if (watcher.nextRevision > current) {
      watcher.synced = true;
      this.#synced.add(watcher);
    } else {
      this.#unsynced.add(watcher);
      this.#scheduleCatchUp();
    }
  }

  remove(watcher: Watcher): void {
    this.#synced.delete(watcher);
    this.#unsynced.delete(watcher);
  }

  /** True when every watcher has been sent everything up to the current revision. */
  allSynced(watchers: Iterable<Watcher>): boolean {
    for (const w of watchers) if (!w.synced) return false;
    return true;
  }

  close(): void {
    this.#unsubscribe();
    this.#unsubscribeCompacted?.();
    this.#synced.clear();
    this.#unsynced.clear();
  }

  #publish(revisions: Revision[]): void {
    for (const w of this.#synced) {
      let events: Event[] | undefined;
      for (const r of revisions) {
        if (r.revision < w.nextRevision) continue;
        for (const c of r.changes) {
          if (!inRange(w.options.range, c.kv.key)) continue;
          const e = toEvent(w, c);
          if (e) (events ??= []).push(e);
        }
      }
      const last = revisions.at(-1)!.revision;
      if (last >= w.nextRevision) w.nextRevision = last + 1;
      if (events) w.sink.events(w, events, last);
    }
  }

  /**
   * Replicas: history below `compactRevision` was compacted before this
   * process delivered it, so a live watcher that still needs a revision below
   * it is cut off as compacted, as a watcher that falls behind a compaction is.
   */
  #cutOff(compactRevision: number): void {
    for (const w of this.#synced) {
      if (w.nextRevision >= compactRevision) continue;
      this.#synced.delete(w);
      w.compacted = true;
      w.sink.compacted(w, compactRevision);
    }
  }

  /** One catch-up at a time: right after this turn of the event loop, or (a retry) `delayMs` later. */
  #scheduleCatchUp(delayMs = 0): void {
    if (this.#catchUpScheduled) return;
    this.#catchUpScheduled = true;
    const run = () => {
      this.#catchUpScheduled = false;
      this.#catchUp();
    };
    if (delayMs === 0) setImmediate(run);
    else setTimeout(run, delayMs).unref();
  }

  /** One window of history for every unsynced watcher, then yield. */
  #catchUp(): void {
    const current = this.#store.revision;
    const compact = this.#store.compactRevision;
    for (const w of this.#unsynced) {
      if (w.nextRevision < compact) {
        this.#unsynced.delete(w);
        w.compacted = true;
        w.sink.compacted(w, compact);
        continue;
      }
      const to = Math.min(current, w.nextRevision + CATCH_UP_REVISIONS - 1);
      const events: Event[] = [];
      let changes: Change[];
      try {
        // A selector needs the previous value to see an object leave the selection.
        const withPrev = w.options.prevKv || w.options.selector !== undefined;
        changes = this.#store.changes(w.options.range, w.nextRevision, to, withPrev);
      } catch {
        // A backend's server is unreachable (it answers UNAVAILABLE): the watcher stays where it
        // was, and the same window is read again shortly, so it gets every event once it is back.
        this.#scheduleCatchUp(CATCH_UP_RETRY_MS);
        return;
      }
      for (const c of changes) {
        const e = toEvent(w, c);
        if (e) events.push(e);
      }
      w.nextRevision = to + 1;
      if (events.length > 0) w.sink.events(w, events, current);
      // The sink may have removed the watcher (cancelled as too slow): it must not move to the live feed.
      if (!this.#unsynced.has(w)) continue;
      if (w.nextRevision > current) {
        this.#unsynced.delete(w);
        w.synced = true;
        this.#synced.add(w);
      }
    }
    if (this.#unsynced.size > 0) this.#scheduleCatchUp();
  }
}

function toEvent(w: Watcher, c: Change): Event | undefined {
  if (c.type === 'put' ? w.options.filter.noPut : w.options.filter.noDelete) return undefined;
  const isCreate = c.type === 'put' && c.kv.createRevision === c.kv.modRevision;
  if (w.options.selector && !selected(w.options.selector, c, isCreate)) return undefined;
  return {
    type: c.type === 'put' ? 'PUT' : 'DELETE',
    kv: c.kv,
    prevKv: w.options.prevKv && !isCreate ? c.prevKv : undefined,
  };
}

/**
 * A change a selecting watcher must see: the new value may match, or the old
 * one did (kube-apiserver turns "no longer matches" into DELETED, from the
 * event's prev_kv). A delete carries no value, so only its previous value
 * counts. Without the previous value of an update the store cannot tell, and
 * keeps the event.
 */
function selected(selector: StoreSelector, c: Change, isCreate: boolean): boolean {
  if (c.type === 'put' && selector.mayMatch(c.kv.value)) return true;
  if (c.prevKv) return selector.mayMatch(c.prevKv.value);
  return !isCreate;
}

export type { Revision };
