/**
 * An events.k8s.io/v1 Event recorder: what `kubectl describe` and
 * `kubectl events --for` show about an object. Events are best effort: a
 * failed write is logged, never thrown into a reconcile.
 *
 * Reconciles repeat, so the recorder drops an event identical to one it sent
 * for the same object within `dedupeWindowMs` (client-go aggregates into
 * series instead; dropping is simpler and enough for controllers that emit
 * on transitions).
 */
import type { KubeConfig, KubernetesObject, V1ObjectReference } from '@kubernetes/client-node';
import { errorMessage } from './errors.js';
import { realClock, type Clock } from './clock.js';
import { keyOf } from './keys.js';
import { defaultLogger, type Logger } from './logger.js';
import { ResourceClient } from './resource-client.js';
import { microTime } from './timestamps.js';

export const EVENTS_RESOURCE = {
  group: 'events.k8s.io',
  version: 'v1',
  plural: 'events',
  kind: 'Event',
  namespaced: true,
} as const;

/** events.k8s.io/v1 Event, as sent. */
export interface EventBody {
  apiVersion: 'events.k8s.io/v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note?: string;
  regarding: V1ObjectReference;
  related?: V1ObjectReference;
}

/** Where events go: `kubeEventSink` in production, an array in tests. */
export interface EventSink {
  create(event: EventBody): Promise<void>;
}

export function kubeEventSink(kc: KubeConfig): EventSink {
  const client = new ResourceClient(kc, EVENTS_RESOURCE);
  return {
    async create(event) {
      await client.create(event);
    },
  };
}

export interface EventRecorderOptions {
  sink: EventSink;
  /** e.g. 'example.dev/widget-controller'. */
  reportingController: string;
  /** This process, e.g. the pod or host name. */
  reportingInstance: string;
  /** Drop repeats of the same event for the same object within this window. Default 5 min; 0 sends every one. */
  dedupeWindowMs?: number;
  clock?: Clock;
  log?: Logger;
}

export interface EventInput {
  regarding: KubernetesObject;
  type: 'Normal' | 'Warning';
  /** CamelCase, why: e.g. 'NameConflict'. */
  reason: string;
  /** CamelCase, what was done or failed: e.g. 'CreateNamespace'. */
  action: string;
  /** Human-readable; truncated to the API's 1 kB limit. */
  note?: string;
  related?: KubernetesObject;
}

const NOTE_LIMIT = 1024;

/** An ObjectReference to `obj`, as Events and other references carry it. */
export function objectReference(obj: KubernetesObject): V1ObjectReference {
  const ref: V1ObjectReference = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata?.name,
    uid: obj.metadata?.uid,
  };
  if (obj.metadata?.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata?.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

export class EventRecorder {
  readonly #sink: EventSink;
  readonly #controller: string;
  readonly #instance: string;
  readonly #windowMs: number;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #recent = new Map<string, number>();
  #seq = 0;

  constructor(options: EventRecorderOptions) {
    this.#sink = options.sink;
    this.#controller = options.reportingController;
    this.#instance = options.reportingInstance;
    this.#windowMs = options.dedupeWindowMs ?? 5 * 60_000;
    this.#clock = options.clock ?? realClock;
    this.#log = options.log ?? defaultLogger();
  }

  /** Sends the event unless it repeats a recent one. Never rejects; resolves true if sent. */
  async publish(input: EventInput): Promise<boolean> {
    const now = this.#clock.now();
    const identity = [
      input.regarding.metadata?.uid ?? keyOf(input.regarding),
      input.type,
      input.reason,
      input.action,
      input.note ?? '',
    ].join('\u0000');
    const last = this.#recent.get(identity);
    if (this.#windowMs > 0 && last !== undefined && now - last < this.#windowMs) return false;
    this.#recent.set(identity, now);
    this.#prune(now);
    const event = this.build(input, now);
    try {
      await this.#sink.create(event);
      return true;
    } catch (err) {
      // Let the next attempt through rather than suppress an event that never arrived.
      this.#recent.delete(identity);
      this.#log.warn(
        { err: errorMessage(err), reason: input.reason, regarding: keyOf(input.regarding) },
        'could not record event',
      );
      return false;
    }
  }

  /** The Event body for `input` at `now` (exposed for tests and dry runs). */
  build(input: EventInput, now: number): EventBody {
    const regarding = objectReference(input.regarding);
    // client-go names events <object>.<unix nanos in hex>; a sequence number keeps two events in one ms apart.
    const nanos = BigInt(now) * 1_000_000n + BigInt(this.#seq++ % 1_000_000);
    const event: EventBody = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      // Cluster-scoped objects have their events in 'default', as client-go does.
      metadata: {
        name: `${regarding.name ?? 'object'}.${nanos.toString(16)}`,
        namespace: regarding.namespace ?? 'default',
      },
      eventTime: microTime(now),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      type: input.type,
      reason: input.reason,
      action: input.action,
      regarding,
    };
    if (input.note !== undefined)
      event.note = input.note.length > NOTE_LIMIT ? `${input.note.slice(0, NOTE_LIMIT - 3)}...` : input.note;
    if (input.related) event.related = objectReference(input.related);
    return event;
  }

  #prune(now: number): void {
    if (this.#recent.size < 1000) return;
    for (const [identity, at] of this.#recent) if (now - at >= this.#windowMs) this.#recent.delete(identity);
  }
}
