import type * as grpc from '@grpc/grpc-js';
import { WatchErrors } from '../errors.js';
import { EMPTY, NUL, toKeyRange } from '../keys.js';
import { Watcher, type WatchHub, type WatchSink } from '../mvcc/watch-hub.js';
import type { Event } from '../types.js';
import { type WatchResponse, eventSize } from './wire/etcd-messages.js';
import type { ServiceContext } from './context.js';
import { connectionOf } from './connection.js';
import type { WatchCreateRequest, WatchRequest } from './requests.js';
import { type StoreSelector, compileSelector } from '../selectors/selector.js';

export interface WatchLimits {
  /** Bytes of responses a stream may have queued that the client has not taken yet (--max-watch-pending-bytes). */
  maxPendingBytes: number;
  /** Watchers across all watch streams of one client connection (--max-watches-per-connection). */
  maxWatchesPerConnection: number;
}

/** Watchers open on one client connection, shared by its watch streams. */
interface ConnectionWatchers {
  watchers: number;
}

/** Roughly a response's encoded size: the events, plus a fixed allowance for the header and fields. */
function responseBytes(r: WatchResponse): number {
  let n = 64 + (r.cancelReason?.length ?? 0);
  for (const e of r.events ?? []) n += eventSize(e);
  return n;
}

interface StreamState {
  progressNotify: boolean;
  fragment: boolean;
  /** Set when events went out since the last progress tick. */
  busy: boolean;
}

/** All open watch streams, so the periodic progress ticker can reach them. */
export class WatchSessions {
  readonly #sessions = new Set<WatchSession>();
  readonly #connections = new WeakMap<object, ConnectionWatchers>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly hub: WatchHub,
    progressIntervalMs: number,
    private readonly limits: WatchLimits,
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
      Watch: (call: grpc.ServerDuplexStream<WatchRequest, unknown>) => {
        const key = connectionOf(call);
        let connection = this.#connections.get(key);
        if (!connection) this.#connections.set(key, (connection = { watchers: 0 }));
        const session = new WatchSession(this.ctx, this.hub, call, this.limits, connection);
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
  /** Bytes handed to grpc-js that have not gone out to the client yet. */
  #pendingBytes = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly hub: WatchHub,
    private readonly call: grpc.ServerDuplexStream<WatchRequest, unknown>,
    private readonly limits: WatchLimits,
    private readonly connection: ConnectionWatchers,
  ) {
    call.on('data', (m: WatchRequest) => this.#handle(m));
    call.on('end', () => this.close());
    call.on('error', () => this.#release());
    call.on('cancelled', () => this.#release());
  }

  get size(): number {
    return this.#watchers.size;
  }

  #handle(m: WatchRequest): void {
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
      case undefined:
        // An empty request (a newer client's request kind, or none): etcd ignores it too.
        return;
    }
  }

  #create(c: WatchCreateRequest): void {
    const key: Buffer = c.key?.length ? c.key : NUL;
    const rangeEnd: Buffer = c.range_end ?? EMPTY;
    // Replicas: first hear of every write acknowledged anywhere, so "now" is the same revision on any of them.
    this.ctx.backend.sync?.();
    const current = this.ctx.backend.revision;
    const created = (id: number, reason?: string) =>
      this.#write({ revision: current, watchId: id, created: true, canceled: !!reason, cancelReason: reason });

    const range = toKeyRange(key, rangeEnd);
    if (range.end !== null && range.end.length > 0 && Buffer.compare(key, range.end) >= 0)
      return created(-1, WatchErrors.emptyRange);
    let id = Number(c.watch_id ?? 0);
    if (id === 0) {
      while (this.#watchers.has(this.#nextId)) this.#nextId++;
      id = this.#nextId++;
    } else if (this.#watchers.has(id)) {
      return created(-1, WatchErrors.duplicateId);
    }
    if (this.connection.watchers >= this.limits.maxWatchesPerConnection) {
      // Refused like etcd refuses a single create (created + canceled with a
      // reason), so the other watchers of the stream carry on.
      return created(-1, WatchErrors.tooManyWatchers(this.limits.maxWatchesPerConnection));
    }
    let selector: StoreSelector | undefined;
    try {
      selector = this.ctx.ignoreSelectors ? undefined : compileSelector(c);
    } catch (err) {
      // Refused like any bad create: created + canceled, with the reason.
      return created(-1, (err as Error).message);
    }
    const filters = c.filters ?? [];
    const start = Number(c.start_revision ?? 0);
    const watcher = new Watcher(
      id,
      {
        range,
        startRevision: start === 0 ? current + 1 : start,
        prevKv: !!c.prev_kv,
        filter: { noPut: filters.includes('NOPUT'), noDelete: filters.includes('NODELETE') },
        selector,
      },
      this,
    );
    this.#watchers.set(id, watcher);
    this.connection.watchers++;
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
    if (this.#watchers.delete(w.id)) this.connection.watchers--;
    this.#state.delete(w);
  }

  events(w: Watcher, events: Event[], revision: number): void {
    const state = this.#state.get(w);
    if (!state) return;
    if (this.#pendingBytes > this.limits.maxPendingBytes) {
      // The client is not reading this stream: queueing more would grow
      // without bound. Like etcd with a slow watcher it cannot catch up, end
      // the watcher with a reason; the client watches again from the last
      // revision it received, and gets the rest from history.
      this.#drop(w);
      this.#write({
        revision: this.ctx.backend.revision,
        watchId: w.id,
        canceled: true,
        cancelReason: WatchErrors.tooSlow(this.limits.maxPendingBytes),
      });
      this.ctx.log.warn(
        { watchId: w.id, pendingBytes: this.#pendingBytes, peer: this.call.getPeer() },
        'watcher canceled: its client is not reading the stream',
      );
      this.ctx.metrics.slowWatchersCanceled.inc();
      return;
    }
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
    if (this.#closed) return;
    const bytes = responseBytes(response);
    this.#pendingBytes += bytes;
    // grpc-js calls back once the message has been handed to the connection,
    // which HTTP/2 flow control holds back while the client does not read.
    this.call.write(response, () => {
      this.#pendingBytes -= bytes;
    });
  }
}
