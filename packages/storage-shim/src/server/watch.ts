import type * as grpc from '@grpc/grpc-js';
import { WatchErrors } from '../errors.js';
import { EMPTY, NUL, toKeyRange } from '../keys.js';
import { Watcher, type WatchHub, type WatchSink } from '../mvcc/watch-hub.js';
import type { Event } from '../types.js';
import { type WatchResponse, eventSize } from './wire/etcd-messages.js';
import type { ServiceContext } from './context.js';

interface StreamState {
  progressNotify: boolean;
  fragment: boolean;
  /** Set when events went out since the last progress tick. */
  busy: boolean;
}

/** All open watch streams, so the periodic progress ticker can reach them. */
export class WatchSessions {
  readonly #sessions = new Set<WatchSession>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly hub: WatchHub,
    progressIntervalMs: number,
  ) {
    if (progressIntervalMs > 0) {
      this.#timer = setInterval(() => {
        for (const s of this.#sessions) s.tick();
      }, progressIntervalMs);
      this.#timer.unref();
    }
  }

  service(): grpc.UntypedServiceImplementation {
    return {
      Watch: (call: grpc.ServerDuplexStream<any, any>) => {
        const session = new WatchSession(this.ctx, this.hub, call);
        this.#sessions.add(session);
        call.once('close', () => this.#sessions.delete(session));
      },
    };
  }

  get watcherCount(): number {
    let n = 0;
    for (const s of this.#sessions) n += s.size;
    return n;
  }

  /** Graceful stop: every watcher gets a cancel, then the stream ends. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const s of this.#sessions) s.close();
    this.#sessions.clear();
  }
}

/** One Watch stream: many watchers, IDs chosen per stream, one ordered output. */
class WatchSession implements WatchSink {
  readonly #watchers = new Map<number, Watcher>();
  readonly #state = new Map<Watcher, StreamState>();
  #nextId = 0;
  #closed = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly hub: WatchHub,
    private readonly call: grpc.ServerDuplexStream<any, any>,
  ) {
    call.on('data', (m) => this.#handle(m));
    call.on('end', () => this.close());
    call.on('error', () => this.#release());
    call.on('cancelled', () => this.#release());
  }

  get size(): number {
    return this.#watchers.size;
  }

  #handle(m: any): void {
    if (this.#closed) return;
    switch (m.request_union) {
      case 'create_request':
        return this.#create(m.create_request);
      case 'cancel_request':
        return this.#cancel(Number(m.cancel_request.watch_id ?? 0));
      case 'progress_request':
        // Only when every watcher on the stream is caught up (etcd >= 3.5.13),
        // so the revision it reports is one no pending event is older than.
        if (this.#watchers.size > 0 && this.hub.allSynced(this.#watchers.values())) {
          this.#write({ revision: this.ctx.backend.revision, watchId: -1 });
        }
        return;
    }
  }

  #create(c: any): void {
    const key: Buffer = c.key?.length ? c.key : NUL;
    const rangeEnd: Buffer = c.range_end ?? EMPTY;
    const current = this.ctx.backend.revision;
    const created = (id: number, reason?: string) =>
      this.#write({ revision: current, watchId: id, created: true, canceled: !!reason, cancelReason: reason });

    const range = toKeyRange(key, rangeEnd);
    if (range.end !== null && range.end.length > 0 && Buffer.compare(key, range.end) >= 0) return created(-1, WatchErrors.emptyRange);
    let id = Number(c.watch_id ?? 0);
    if (id === 0) {
      while (this.#watchers.has(this.#nextId)) this.#nextId++;
      id = this.#nextId++;
    } else if (this.#watchers.has(id)) {
      return created(-1, WatchErrors.duplicateId);
    }
    const filters: string[] = c.filters ?? [];
    const start = Number(c.start_revision ?? 0);
    const watcher = new Watcher(id, {
      range,
      startRevision: start === 0 ? current + 1 : start,
      prevKv: !!c.prev_kv,
      filter: { noPut: filters.includes('NOPUT'), noDelete: filters.includes('NODELETE') },
    }, this);
    this.#watchers.set(id, watcher);
    this.#state.set(watcher, { progressNotify: !!c.progress_notify, fragment: !!c.fragment, busy: false });
    // Created goes out before any event of the watcher: the hub catches up on a later tick.
    created(id);
    this.hub.add(watcher);
  }

  #cancel(id: number): void {
    const w = this.#watchers.get(id);
    if (!w) return;
    this.#drop(w);
    this.#write({ revision: this.ctx.backend.revision, watchId: id, canceled: true });
  }

  #drop(w: Watcher): void {
    this.hub.remove(w);
    this.#watchers.delete(w.id);
    this.#state.delete(w);
  }

  events(w: Watcher, events: Event[], revision: number): void {
    const state = this.#state.get(w);
    if (!state) return;
    state.busy = true;
    if (!state.fragment || events.length < 2) {
      this.#write({ revision, watchId: w.id, events });
      return;
    }
    // Split like etcd's sendFragments: every part but the last is marked.
    const limit = this.ctx.maxRequestBytes;
    let part: Event[] = [];
    let size = 0;
    for (const e of events) {
      const s = eventSize(e) + 4;
      if (part.length > 0 && size + s >= limit) {
        this.#write({ revision, watchId: w.id, events: part, fragment: true });
        part = [];
        size = 0;
      }
      part.push(e);
      size += s;
    }
    this.#write({ revision, watchId: w.id, events: part });
  }

  compacted(w: Watcher, compactRevision: number): void {
    // The header carries no revision here, as in etcd; the watcher stays registered until cancelled.
    this.#write({ revision: 0, watchId: w.id, canceled: true, compactRevision });
  }

  /** Periodic progress for progress_notify watchers that had no events since the last tick. */
  tick(): void {
    for (const [w, state] of this.#state) {
      if (state.progressNotify && !state.busy && w.synced) {
        this.#write({ revision: this.ctx.backend.revision, watchId: w.id });
      }
      state.busy = false;
    }
  }

  close(): void {
    if (this.#closed) return;
    for (const w of [...this.#watchers.values()]) this.#cancel(w.id);
    this.#closed = true;
    this.call.end();
  }

  #release(): void {
    this.#closed = true;
    for (const w of [...this.#watchers.values()]) this.#drop(w);
  }

  #write(response: WatchResponse): void {
    if (!this.#closed) this.call.write(response);
  }
}
