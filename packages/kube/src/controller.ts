/**
 * A controller: events from informers become keys in a work queue, and a
 * reconciler brings the world in line with the object under each key.
 *
 * The contract is level-triggered (controller-runtime, kube-rs): `reconcile`
 * gets a key, never an event, reads the current object from the cache, and
 * must be idempotent. Events only say "look at this key again"; many events
 * for one key collapse into one reconcile, and one key never reconciles twice
 * at once.
 *
 * Outcome of `reconcile`:
 * - returns → backoff for the key is forgotten; with `requeueAfterMs` the key
 *   comes back after that long (use it to poll something that sends no event);
 * - throws `TerminalError` → logged and counted, not retried;
 * - throws anything else → retried with per-key exponential backoff under the
 *   global rate limit (`WorkQueue.addRateLimited`).
 */
import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import { errorMessage, KubeError, TerminalError } from './errors.js';
import { realClock, type Clock } from './clock.js';
import type { Informer } from './informer.js';
import { keyOf, objectKey, type ObjectKey } from './keys.js';
import { defaultLogger, type Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';
import { groupOf, type ResourceRef } from './resource.js';
import { WorkQueue } from './work-queue.js';

export interface ReconcileResult {
  /** Reconcile this key again after this long, even if nothing changes. */
  requeueAfterMs?: number;
}

export interface ReconcileContext<T extends KubernetesObject> {
  key: ObjectKey;
  /** The object as the cache holds it now (do not mutate it); undefined when it is gone. */
  object: T | undefined;
  /** Aborts when the controller shuts down: pass it to long calls. */
  signal: AbortSignal;
  /** A child logger carrying the controller name and key. */
  log: Logger;
  /** Failed attempts for this key since its last success. */
  retries: number;
}

export interface Reconciler<T extends KubernetesObject> {
  reconcile(key: ObjectKey, ctx: ReconcileContext<T>): Promise<ReconcileResult | void>;
}

/** Maps an event's object to the keys of primary objects to reconcile. */
export type KeyMapper<U extends KubernetesObject> = (obj: U) => ObjectKey | readonly ObjectKey[] | undefined;

/** Where a controller gets shared informers for the resources it names (the Manager). */
export interface InformerProvider {
  informer<U extends KubernetesObject>(resource: ResourceRef): Informer<U>;
}

// Informers of any object type; the mapper decides what the objects mean. Informer<T> takes
// handlers of T, so no narrower type admits informers of every T at once.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyInformer = Informer<any>;

export interface ControllerOptions<T extends KubernetesObject> {
  /** Used in logs and metric labels; unique per manager. */
  name: string;
  /** The primary resource: its keys are the keys reconciled. */
  for: Informer<T> | ResourceRef;
  reconciler: Reconciler<T>;
  /** Keys reconciled at once (never the same key twice). Default 1. */
  concurrency?: number;
  /** Needed only to pass ResourceRefs instead of informers. */
  informers?: InformerProvider;
  clock?: Clock;
  log?: Logger;
  metrics?: RuntimeMetrics;
  rateLimiter?: RateLimiter<ObjectKey>;
  /**
   * Whether an update of a primary object wakes the controller (controller-runtime's update
   * predicates); default: every update does. Adds, deletes and the informer's resync always wake
   * it. For changes the reconciler itself makes and never needs to see again, e.g. its own status
   * writes: each would otherwise cost a reconcile that finds nothing to do.
   */
  wakeOnUpdate?: (oldObj: T, newObj: T) => boolean;
}

export interface OwnsOptions {
  /**
   * Follow only the ownerReference with `controller: true` (default, as in
   * controller-runtime). false follows every ownerReference to the primary kind.
   */
  onlyController?: boolean;
}

export class Controller<T extends KubernetesObject = KubernetesObject> {
  readonly name: string;
  readonly primary: Informer<T>;
  readonly queue: WorkQueue<ObjectKey>;
  readonly #reconciler: Reconciler<T>;
  readonly #sources: AnyInformer[] = [];
  readonly #provider: InformerProvider | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: RuntimeMetrics | undefined;

  constructor(options: ControllerOptions<T>) {
    this.name = options.name;
    this.#provider = options.informers;
    this.#clock = options.clock ?? realClock;
    this.#log = (options.log ?? defaultLogger()).child({ controller: options.name });
    this.#metrics = options.metrics;
    this.#reconciler = options.reconciler;
    this.primary = this.#resolve(options.for) as Informer<T>;
    this.queue = new WorkQueue<ObjectKey>({
      process: (key, signal) => this.#reconcileKey(key, signal),
      concurrency: options.concurrency ?? 1,
      clock: this.#clock,
      rateLimiter: options.rateLimiter ?? defaultControllerRateLimiter<ObjectKey>({ clock: this.#clock }),
      onProcessError: (key, err) => this.#log.error({ key, err: errorMessage(err) }, 'reconcile wrapper failed'),
    });
    this.#metrics?.trackQueue(this.name, this.queue);
    this.#subscribe(this.primary, (obj) => keyOf(obj), options.wakeOnUpdate);
  }

  /**
   * Reconciles the owner when a child changes: children are mapped to the
   * primary object named in their ownerReferences (same group and kind as the
   * primary; namespaced owners live in the child's namespace).
   */
  owns(child: AnyInformer | ResourceRef, options: OwnsOptions = {}): this {
    const owner = this.primary.resource;
    this.#subscribe(this.#resolve(child) as Informer<KubernetesObject>, (obj) => ownerKeys(obj, owner, options));
    return this;
  }

  /** Reconciles the keys `mapper` returns whenever an object of `source` changes. */
  watches<U extends KubernetesObject>(source: Informer<U> | ResourceRef, mapper: KeyMapper<U>): this {
    this.#subscribe(this.#resolve(source) as Informer<U>, mapper);
    return this;
  }

  /** Every informer this controller reads: the primary first. */
  informers(): readonly AnyInformer[] {
    return this.#sources;
  }

  /**
   * Starts the informers (idempotent: shared ones may already run), waits
   * until all have synced so the first reconciles see a full cache, then
   * starts the workers. Resolves false if `signal` aborted first.
   */
  async start(signal?: AbortSignal): Promise<boolean> {
    for (const informer of this.#sources) informer.start();
    const synced = await Promise.all(this.#sources.map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) return false;
    this.#log.info({ sources: this.#sources.map((i) => i.resource.plural) }, 'caches synced; starting workers');
    this.queue.start();
    return true;
  }

  /** Stops taking keys and waits for running reconciles. Informers are left to their owner. */
  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  #resolve(source: AnyInformer | ResourceRef): AnyInformer {
    if ('store' in source) return source;
    if (!this.#provider) {
      throw new KubeError(
        'CNPAAS_KUBE_INVALID_CONFIG',
        `controller ${this.name} was given a ResourceRef (${source.plural}) but no informer provider`,
        { hint: 'create the controller with manager.controller(...), or pass informers instead of ResourceRefs' },
      );
    }
    return this.#provider.informer(source);
  }

  #subscribe<U extends KubernetesObject>(
    informer: Informer<U>,
    mapper: KeyMapper<U>,
    wakeOnUpdate?: (oldObj: U, newObj: U) => boolean,
  ): void {
    if (!this.#sources.includes(informer)) this.#sources.push(informer);
    const keysOf = (obj: U): readonly ObjectKey[] => {
      const keys = mapper(obj);
      return keys === undefined ? [] : typeof keys === 'string' ? [keys] : keys;
    };
    const enqueue = (obj: U): void => {
      for (const key of keysOf(obj)) this.queue.add(key);
    };
    informer.addEventHandler({
      onAdd: enqueue,
      // Both sides: a child that changed owner must wake the old owner as well as the new.
      // One Set, so a key named by both is added once (two adds could start a second run).
      onUpdate: (oldObj, newObj) => {
        // A resync re-delivers the cached object as its own update: that always wakes.
        if (wakeOnUpdate && oldObj !== newObj && !wakeOnUpdate(oldObj, newObj)) return;
        const keys = new Set(keysOf(newObj));
        if (oldObj !== newObj) for (const key of keysOf(oldObj)) keys.add(key);
        for (const key of keys) this.queue.add(key);
      },
      onDelete: enqueue,
    });
  }

  async #reconcileKey(key: ObjectKey, signal: AbortSignal): Promise<void> {
    const started = this.#clock.now();
    const retries = this.queue.numRequeues(key);
    const log = this.#log.child({ key });
    const labels = { controller: this.name };
    try {
      const result = await this.#reconciler.reconcile(key, {
        key,
        object: this.primary.store.get(key),
        signal,
        log,
        retries,
      });
      this.queue.forget(key);
      const after = result?.requeueAfterMs;
      if (after !== undefined && after > 0) {
        this.queue.addAfter(key, after);
        this.#metrics?.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else {
        this.#metrics?.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (err) {
      if (err instanceof TerminalError) {
        this.queue.forget(key);
        this.#metrics?.reconcileTotal.inc({ ...labels, result: 'terminal_error' });
        this.#metrics?.terminalErrors.inc(labels);
        log.error({ err: errorMessage(err) }, 'reconcile failed terminally; not retrying');
      } else {
        this.queue.addRateLimited(key);
        this.#metrics?.reconcileTotal.inc({ ...labels, result: 'error' });
        this.#metrics?.reconcileErrors.inc(labels);
        this.#metrics?.queueRetries.inc({ name: this.name });
        // Shutdown aborts running reconciles; their errors are expected noise.
        if (!signal.aborted) log.warn({ err: errorMessage(err), retries }, 'reconcile failed; retrying with backoff');
      }
    } finally {
      this.#metrics?.reconcileDuration.observe(labels, (this.#clock.now() - started) / 1000);
    }
  }
}

/** Keys of the primary objects named in `obj`'s ownerReferences. */
export function ownerKeys(obj: KubernetesObject, owner: ResourceRef, options: OwnsOptions = {}): ObjectKey[] {
  const onlyController = options.onlyController ?? true;
  const refs: V1OwnerReference[] = obj.metadata?.ownerReferences ?? [];
  const keys: ObjectKey[] = [];
  for (const ref of refs) {
    if (onlyController && !ref.controller) continue;
    if (ref.kind !== owner.kind || groupOf(ref.apiVersion) !== owner.group) continue;
    // Namespaced owners are always in the dependent's namespace (the GC enforces it).
    if (owner.namespaced && !obj.metadata?.namespace) continue;
    keys.push(objectKey({ namespace: owner.namespaced ? obj.metadata?.namespace : undefined, name: ref.name }));
  }
  return keys;
}
