/**
 * One running HTTPTrigger: a watch stream per namespace (or one for all),
 * a progress tracker per stream, one delivery queue (the trigger's
 * concurrency, per-object order), the HTTP attempt, and the status writer.
 *
 *   watch event ──► wanted type? ──no──► checkpoint (finished at once)
 *                        │yes
 *                        ▼
 *                 tracker.add ─► queue.push(key) ─► attempt … retry … finish
 *                                                               │
 *                 status.lastDeliveredResourceVersion ◄─ tracker.finish
 *
 * Synthetic ADDED events (a first list or a relist after 410 Gone) go out as
 * ADDED, or as MODIFIED when the trigger only wants MODIFIED; a trigger
 * that wants neither ignores them.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type Clock,
  errorMessage,
  type EventInput,
  httpStatusOf,
  keyOf,
  type ListerWatcher,
  type Logger,
  realClock,
  type ResourceRef,
} from '@cnpaas/kube';
import type { AttemptResult, Finish } from './delivery-queue.js';
import { DeliveryQueue } from './delivery-queue.js';
import { WatchSource, type SourceEvent } from './event-source.js';
import type { HttpRequest } from './http-delivery.js';
import type { TriggerMetrics } from './metrics.js';
import { ProgressTracker } from './progress.js';
import type { TriggerPlan } from './spec.js';
import type { StreamId, TriggerStatusWriter } from './status-writer.js';
import type { EventType, HTTPTrigger } from './types.js';

export interface ListScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type ListerWatcherFactory = (resource: ResourceRef, scope: ListScope) => ListerWatcher<KubernetesObject>;

export interface EventPublisher {
  publish(input: EventInput): Promise<boolean>;
}

export interface Sender {
  send(request: HttpRequest): Promise<AttemptResult>;
  close(): void;
}

export interface TriggerRunnerOptions {
  plan: TriggerPlan;
  trigger: HTTPTrigger;
  listerWatcherFor: ListerWatcherFactory;
  sender: Sender;
  status: TriggerStatusWriter;
  events?: EventPublisher;
  metrics?: TriggerMetrics;
  /** Events held in memory before the watch pauses. Default 10 000. */
  maxPending?: number;
  clock?: Clock;
  log: Logger;
  random?: () => number;
  watchBackoff?: { initialMs?: number; maxMs?: number };
  watchTimeoutSeconds?: number;
  version?: string;
}

interface Delivery {
  stream: StreamId;
  seq: number;
  key: string;
  type: EventType;
  object: KubernetesObject;
  resourceVersion: string | undefined;
  synthetic: boolean;
}

export class TriggerRunner {
  readonly plan: TriggerPlan;
  readonly #o: TriggerRunnerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #queue: DeliveryQueue<Delivery>;
  readonly #streams = new Map<
    StreamId,
    { source: WatchSource; tracker: ProgressTracker; healthy: boolean | undefined }
  >();
  readonly #maxPending: number;
  readonly #capacityWaiters = new Set<() => void>();
  #untrack: (() => void) | undefined;
  #started = false;

  constructor(options: TriggerRunnerOptions) {
    this.#o = options;
    this.plan = options.plan;
    this.#clock = options.clock ?? realClock;
    this.#log = options.log.child({ trigger: options.plan.key });
    this.#maxPending = options.maxPending ?? 10_000;
    const { delivery } = options.plan;
    this.#queue = new DeliveryQueue<Delivery>({
      concurrency: delivery.concurrency,
      retries: delivery.retries,
      backoff: delivery.backoff,
      coalesce: delivery.coalesce,
      clock: this.#clock,
      ...(options.random ? { random: options.random } : {}),
      attempt: (d, n, signal) => this.#attempt(d, n, signal),
      onAttempt: (d, n, result, willRetry) => this.#onAttempt(d, n, result, willRetry),
      onFinish: (d, finish) => this.#onFinish(d, finish),
    });
  }

  /** Starts every stream from its resume point (absent: a first start). */
  start(resume: Record<StreamId, string>): void {
    if (this.#started) return;
    this.#started = true;
    const { plan } = this;
    this.#untrack = this.#o.metrics?.trackPending(plan.key, () => this.#queue.size);
    this.#o.status.setCondition({
      type: 'Ready',
      status: 'True',
      reason: 'Watching',
      message: `watching ${describeResource(plan)}; delivering to ${plan.url}`,
    });
    for (const stream of streamsOf(plan)) {
      const resumeFrom = resume[stream];
      const tracker = new ProgressTracker(resumeFrom);
      const source = new WatchSource({
        listerWatcher: this.#o.listerWatcherFor(plan.resource, {
          ...(stream ? { namespace: stream } : {}),
          ...(plan.labelSelector ? { labelSelector: plan.labelSelector } : {}),
          ...(plan.fieldSelector ? { fieldSelector: plan.fieldSelector } : {}),
        }),
        resumeFrom,
        sendInitialEvents: plan.sendInitialEvents,
        trackDeletes: plan.eventTypes.has('DELETED'),
        capacity: { full: () => this.#queue.size >= this.#maxPending, wait: (signal) => this.#waitForCapacity(signal) },
        clock: this.#clock,
        log: this.#log.child(stream ? { namespace: stream } : {}),
        ...(this.#o.random ? { random: this.#o.random } : {}),
        ...(this.#o.watchBackoff ? { backoff: this.#o.watchBackoff } : {}),
        ...(this.#o.watchTimeoutSeconds ? { watchTimeoutSeconds: this.#o.watchTimeoutSeconds } : {}),
        sink: {
          event: (e) => this.#onEvent(stream, e),
          checkpoint: (rv) => {
            tracker.add(rv, true);
            this.#o.status.setProgress(stream, tracker.committed());
          },
          health: (h) => this.#onHealth(stream, h),
        },
      });
      this.#streams.set(stream, { source, tracker, healthy: undefined });
      this.#log.info(
        { namespace: stream || '(all)', resumeFrom: resumeFrom ?? '(none: list first)' },
        'starting watch',
      );
      source.start();
    }
  }

  /** Events queued, in backoff or in flight. */
  pending(): number {
    return this.#queue.size;
  }

  /** Resolves when every event handed out so far has finished (tests, drains). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * Stops watching; attempts in flight get `graceMs`, the rest is dropped
   * unfinished (replayed from the resume point by the next runner); then
   * the final status write. Returns the resume points.
   */
  async stop(graceMs = 5_000): Promise<Record<StreamId, string>> {
    await Promise.all([...this.#streams.values()].map((s) => s.source.stop()));
    for (const resolve of this.#capacityWaiters) resolve();
    await this.#queue.stop(graceMs);
    this.#o.sender.close();
    this.#untrack?.();
    await this.#o.status.close();
    return this.#o.status.progress();
  }

  #onEvent(stream: StreamId, e: SourceEvent): void {
    const s = this.#streams.get(stream);
    if (!s) return;
    const type = this.#deliveredType(e);
    if (!type) {
      s.tracker.add(e.resourceVersion, true);
      this.#o.status.setProgress(stream, s.tracker.committed());
      return;
    }
    const seq = s.tracker.add(e.resourceVersion);
    this.#queue.push(keyOf(e.object), {
      stream,
      seq,
      key: keyOf(e.object),
      type,
      object: e.object,
      resourceVersion: e.resourceVersion,
      synthetic: e.synthetic,
    });
  }

  #deliveredType(e: SourceEvent): EventType | undefined {
    const wanted = this.plan.eventTypes;
    if (!e.synthetic || e.type !== 'ADDED') return wanted.has(e.type) ? e.type : undefined;
    if (wanted.has('ADDED')) return 'ADDED';
    return wanted.has('MODIFIED') ? 'MODIFIED' : undefined;
  }

  /** The HTTP request for one event (exposed for tests). */
  request(d: Pick<Delivery, 'type' | 'object' | 'resourceVersion' | 'synthetic'>, signal?: AbortSignal): HttpRequest {
    const { plan } = this;
    const headers: Record<string, string> = {
      ...plan.headers,
      'x-cnpaas-trigger': plan.key,
      'x-cnpaas-event-type': d.type,
    };
    if (d.resourceVersion) headers['x-cnpaas-resource-version'] = d.resourceVersion;
    if (d.synthetic) headers['x-cnpaas-synthetic'] = 'true';
    let body: string | undefined;
    if (plan.method !== 'GET') {
      body = plan.template
        ? plan.template.render({ type: d.type, object: d.object, synthetic: d.synthetic })
        : JSON.stringify({ type: d.type, object: d.object });
      headers['content-type'] = plan.contentType;
    }
    return {
      url: plan.url,
      method: plan.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      timeoutMs: plan.delivery.timeoutMs,
      ...(signal ? { signal } : {}),
    };
  }

  async #attempt(d: Delivery, _attempt: number, signal: AbortSignal): Promise<AttemptResult> {
    let request: HttpRequest;
    try {
      request = this.request(d, signal);
    } catch (err) {
      // A template that fails on this object fails the same way next time.
      return { result: 'permanent', reason: errorMessage(err) };
    }
    const started = performance.now();
    try {
      return await this.#o.sender.send(request);
    } finally {
      this.#o.metrics?.latency.observe({ trigger: this.plan.key }, (performance.now() - started) / 1000);
    }
  }

  #onAttempt(d: Delivery, n: number, result: AttemptResult, willRetry: boolean): void {
    this.#o.metrics?.attempts.inc({ trigger: this.plan.key, result: result.result });
    if (result.result === 'delivered') return;
    // Keys, versions and reasons only: never a body.
    this.#log.warn(
      {
        key: d.key,
        eventType: d.type,
        resourceVersion: d.resourceVersion,
        attempt: n,
        status: result.status,
        reason: result.reason,
        willRetry,
      },
      willRetry ? 'delivery attempt failed; retrying' : 'delivery failed',
    );
  }

  #onFinish(d: Delivery, finish: Finish): void {
    const s = this.#streams.get(d.stream);
    s?.tracker.finish(d.seq);
    const status = this.#o.status;
    if (s) status.setProgress(d.stream, s.tracker.committed());
    this.#o.metrics?.events.inc({ trigger: this.plan.key, outcome: finish.outcome });
    if (finish.outcome === 'delivered') {
      status.recordDelivered();
      this.#log.debug(
        { key: d.key, eventType: d.type, resourceVersion: d.resourceVersion, attempts: finish.attempts },
        'delivered',
      );
      status.setCondition({
        type: 'Degraded',
        status: 'False',
        reason: 'Delivering',
        message: 'the last event was delivered',
      });
    } else if (finish.outcome === 'failed') {
      const message = `${d.type} ${d.key} (resourceVersion ${d.resourceVersion ?? 'synthetic'}): gave up after ${finish.attempts} attempt(s): ${finish.reason}`;
      status.recordFailed(message);
      status.setCondition({ type: 'Degraded', status: 'True', reason: 'DeliveryFailed', message });
      this.#log.error(
        {
          key: d.key,
          eventType: d.type,
          resourceVersion: d.resourceVersion,
          attempts: finish.attempts,
          reason: finish.reason,
        },
        'gave up on an event; moving on',
      );
      void this.#o.events?.publish({
        regarding: this.#o.trigger,
        type: 'Warning',
        reason: 'DeliveryFailed',
        action: 'Deliver',
        note: message,
      });
    }
    if (this.#queue.size < this.#maxPending / 2) {
      for (const resolve of this.#capacityWaiters) resolve();
      this.#capacityWaiters.clear();
    }
  }

  #onHealth(stream: StreamId, h: { ok: true } | { ok: false; error: unknown; failures: number }): void {
    const s = this.#streams.get(stream);
    if (!s) return;
    s.healthy = h.ok;
    const status = this.#o.status;
    if (!h.ok) {
      this.#o.metrics?.watchFailures.inc({ trigger: this.plan.key });
      const code = httpStatusOf(h.error);
      const where = `${describeResource(this.plan)}${stream ? ` in namespace ${stream}` : ''}`;
      const message =
        code === 403
          ? `the trigger identity may not list/watch ${where}: grant it get, list, watch on that resource (see manifests/trigger-rbac.yaml)`
          : `cannot watch ${where}: ${errorMessage(h.error)}`;
      if (
        status.setCondition({
          type: 'Ready',
          status: 'False',
          reason: code === 403 ? 'Forbidden' : 'WatchFailed',
          message,
        })
      ) {
        void this.#o.events?.publish({
          regarding: this.#o.trigger,
          type: 'Warning',
          reason: code === 403 ? 'Forbidden' : 'WatchFailed',
          action: 'Watch',
          note: message,
        });
        void status.flush();
      }
      return;
    }
    if ([...this.#streams.values()].every((x) => x.healthy !== false)) {
      status.setCondition({
        type: 'Ready',
        status: 'True',
        reason: 'Watching',
        message: `watching ${describeResource(this.plan)}; delivering to ${this.plan.url}`,
      });
    }
  }

  #waitForCapacity(signal: AbortSignal): Promise<void> {
    if (this.#queue.size < this.#maxPending) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#capacityWaiters.delete(done);
        resolve();
      };
      this.#capacityWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

export function streamsOf(plan: TriggerPlan): StreamId[] {
  return plan.namespaces ?? [''];
}

function describeResource(plan: TriggerPlan): string {
  const r = plan.resource;
  return `${r.plural}${r.group ? `.${r.group}` : ''}/${r.version}`;
}
