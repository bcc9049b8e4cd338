/**
 * A trigger's status, kept in memory and written to `/status` at most once
 * per interval (a busy trigger must not turn every delivered event into an
 * apiserver write, and each write wakes the trigger's own informer).
 * Conditions change → written at the next interval too, except that
 * `flush()` writes at once (stop, first start).
 *
 * Every write is a JSON merge patch of the whole status the trigger owns,
 * so it never depends on the resourceVersion and a lost write is repaired
 * by the next one. A stale writer (an old leader) can only move the resume
 * point backwards (its progress covers only events it finished), which
 * replays and never skips.
 */
import {
  type Clock,
  type Condition,
  type ConditionInput,
  errorMessage,
  isNotFound,
  type Logger,
  realClock,
  rfc3339,
  setCondition,
  type TimerHandle,
} from '@cnpaas/kube';
import type { HTTPTriggerStatus } from './types.js';

export interface StatusPatcher {
  /** Merge-patches the HTTPTrigger's /status. */
  patch(target: { namespace: string; name: string }, status: Record<string, unknown>): Promise<void>;
}

/** The watch streams of a trigger: '' for all namespaces, else the namespace. */
export type StreamId = string;

export interface StatusWriterOptions {
  target: { namespace: string; name: string };
  patcher: StatusPatcher;
  /** What the status holds now (from the cache or the previous runner). */
  initial: HTTPTriggerStatus;
  generation: number;
  fingerprint: string;
  /** The streams this trigger runs; one stream writes lastDeliveredResourceVersion only. */
  streams: readonly StreamId[];
  intervalMs: number;
  clock?: Clock;
  log: Logger;
}

/** The resume points `status` holds for a watch with `fingerprint` (none when the watch changed). */
export function resumePoints(
  status: HTTPTriggerStatus | undefined,
  fingerprint: string,
  streams: readonly StreamId[],
): Record<StreamId, string> {
  if (!status || status.watchFingerprint !== fingerprint) return {};
  if (streams.length === 1)
    return status.lastDeliveredResourceVersion ? { [streams[0]!]: status.lastDeliveredResourceVersion } : {};
  const out: Record<StreamId, string> = {};
  for (const s of streams) {
    const rv = status.namespaceResourceVersions?.[s];
    if (rv) out[s] = rv;
  }
  return out;
}

export class TriggerStatusWriter {
  readonly #o: StatusWriterOptions;
  readonly #clock: Clock;
  readonly #progress: Record<StreamId, string>;
  readonly #staleNamespaces: string[];
  #conditions: Condition[];
  #delivered: number;
  #failed: number;
  #lastError: string | undefined;
  #lastErrorTime: string | undefined;
  #dirty = true;
  #timer: TimerHandle | undefined;
  #lastWrite = -Infinity;
  #writing: Promise<void> | undefined;
  #closed = false;
  #gone = false;
  writes = 0;

  constructor(options: StatusWriterOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    const s = options.initial;
    this.#progress = resumePoints(s, options.fingerprint, options.streams);
    this.#staleNamespaces = Object.keys(s.namespaceResourceVersions ?? {}).filter(
      (ns) => options.streams.length === 1 || !options.streams.includes(ns),
    );
    this.#conditions = [...(s.conditions ?? [])];
    this.#delivered = s.deliveredCount ?? 0;
    this.#failed = s.failedCount ?? 0;
    this.#lastError = s.lastError;
    this.#lastErrorTime = s.lastErrorTime;
  }

  /** The status as it will be written. */
  snapshot(): HTTPTriggerStatus {
    const streams = this.#o.streams;
    const status: HTTPTriggerStatus = {
      observedGeneration: this.#o.generation,
      conditions: this.#conditions,
      watchFingerprint: this.#o.fingerprint,
      deliveredCount: this.#delivered,
      failedCount: this.#failed,
    };
    if (streams.length === 1) {
      const rv = this.#progress[streams[0]!];
      if (rv) status.lastDeliveredResourceVersion = rv;
    } else {
      status.namespaceResourceVersions = { ...this.#progress };
      // For people: the smallest of the per-namespace points (etcd revisions are numbers); resuming uses the map.
      const numeric = Object.values(this.#progress).filter((v) => /^\d+$/.test(v));
      if (numeric.length === streams.length && numeric.length > 0)
        status.lastDeliveredResourceVersion = numeric.reduce((a, b) => (BigInt(a) <= BigInt(b) ? a : b));
    }
    if (this.#lastError !== undefined) status.lastError = this.#lastError;
    if (this.#lastErrorTime !== undefined) status.lastErrorTime = this.#lastErrorTime;
    return status;
  }

  progress(): Record<StreamId, string> {
    return { ...this.#progress };
  }

  setProgress(stream: StreamId, resourceVersion: string | undefined): void {
    if (!resourceVersion || this.#progress[stream] === resourceVersion) return;
    this.#progress[stream] = resourceVersion;
    this.#touch();
  }

  recordDelivered(): void {
    this.#delivered++;
    this.#touch();
  }

  recordFailed(message: string): void {
    this.#failed++;
    this.#lastError = message.length > 1024 ? `${message.slice(0, 1021)}...` : message;
    this.#lastErrorTime = rfc3339(this.#clock.now());
    this.#touch();
  }

  /** Sets a condition; true when it changed. */
  setCondition(input: Omit<ConditionInput, 'observedGeneration'>): boolean {
    const { conditions, changed } = setCondition(
      this.#conditions,
      { ...input, observedGeneration: this.#o.generation },
      { now: new Date(this.#clock.now()) },
    );
    if (!changed) return false;
    this.#conditions = conditions;
    this.#touch();
    return true;
  }

  condition(type: string): Condition | undefined {
    return this.#conditions.find((c) => c.type === type);
  }

  /** Writes now if anything changed since the last write; resolves when no write is running. */
  async flush(): Promise<void> {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#writing) await this.#writing;
    if (!this.#dirty || this.#gone) return;
    this.#dirty = false;
    const status = this.snapshot() as Record<string, unknown>;
    // Merge patch: null removes what this writer no longer owns.
    if (this.#o.streams.length === 1) status['namespaceResourceVersions'] = null;
    else if (this.#staleNamespaces.length > 0) {
      status['namespaceResourceVersions'] = {
        ...(status['namespaceResourceVersions'] as object),
        ...Object.fromEntries(this.#staleNamespaces.map((ns) => [ns, null])),
      };
    }
    if (!('lastDeliveredResourceVersion' in status)) status['lastDeliveredResourceVersion'] = null;
    this.#lastWrite = this.#clock.now();
    const write: Promise<void> = this.#o.patcher.patch(this.#o.target, status).then(
      () => {
        this.writes++;
      },
      (err: unknown) => {
        if (isNotFound(err)) {
          this.#gone = true;
          return;
        }
        this.#o.log.warn({ err: errorMessage(err) }, 'status write failed; retrying at the next interval');
        this.#touch(true);
      },
    );
    this.#writing = write.finally(() => {
      if (this.#writing === tracked) this.#writing = undefined;
    });
    const tracked = this.#writing;
    await tracked;
  }

  /** The final write; no timers afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #touch(force = false): void {
    this.#dirty = true;
    if (this.#closed || this.#gone || (this.#timer && !force)) return;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    const wait = Math.max(0, this.#lastWrite + this.#o.intervalMs - this.#clock.now());
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        void this.flush();
      },
      force ? this.#o.intervalMs : wait,
    );
  }
}
