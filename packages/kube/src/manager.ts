/**
 * The manager runs a process's controllers: it shares one informer per
 * watched resource among them, campaigns for the leader Lease (if
 * configured) and runs the controllers only while leading, exports the
 * Prometheus metrics, and shuts down in order:
 *
 *   stop informers (no new events) → drain queues (running reconciles
 *   finish, bounded by gracefulShutdownMs) → release the Lease.
 *
 * Losing the Lease is fatal, as in controller-runtime: `start` rejects with
 * CNPAAS_KUBE_LEADERSHIP_LOST and the process should exit so that its
 * supervisor restarts it with fresh caches.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { errorMessage, KubeError } from './errors.js';
import { realClock, sleep, type Clock } from './clock.js';
import { Controller, type ControllerOptions, type InformerProvider } from './controller.js';
import { Informer, type InformerOptions } from './informer.js';
import { LeaderElector, type LeaseLock } from './leader-election.js';
import { kubeLeaseLock } from './lease-lock.js';
import type { ListerWatcher } from './list-watch.js';
import { defaultLogger, type Logger } from './logger.js';
import { RuntimeMetrics } from './metrics.js';
import { ResourceClient } from './resource-client.js';
import { resourceId, type ResourceRef } from './resource.js';

export interface LeaderElectionConfig {
  /** Namespace of the Lease, e.g. 'example-system'. */
  namespace: string;
  /** Name of the Lease, e.g. 'widget-operator'. */
  name: string;
  /** Default `<hostname>_<random uuid>`: unique even for two processes on one host. */
  identity?: string;
  /** Default: the real Lease through the manager's kubeConfig. */
  lock?: LeaseLock;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface InformerScope {
  /** Watch one namespace only. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ManagerOptions {
  /** Needed unless `listerWatcher` and the lease lock are both given. */
  kubeConfig?: KubeConfig;
  /** Omit to run without leader election (a single replica, tests). */
  leaderElection?: LeaderElectionConfig;
  /** How informers reach the API. Default: a `ResourceClient` on `kubeConfig`. Tests pass in-memory ones. */
  listerWatcher?: (resource: ResourceRef, scope: InformerScope) => ListerWatcher<KubernetesObject>;
  /** Options for every informer the manager creates. */
  informerDefaults?: Pick<InformerOptions<KubernetesObject>, 'resyncPeriodMs' | 'watchTimeoutSeconds' | 'backoff'>;
  /** Give up starting when caches have not synced by then. Default 2 min (controller-runtime's). */
  cacheSyncTimeoutMs?: number;
  /** Longest wait for running reconciles on shutdown. Default 30 s (controller-runtime's). */
  gracefulShutdownMs?: number;
  /** Default: a new registry with Node's default metrics, prefixed `processMetricsPrefix`. */
  registry?: Registry;
  /** The prefix of Node's default metrics in the default registry, e.g. `cnpaas_operator_`. Default `cnpaas_kube_`. */
  processMetricsPrefix?: string;
  clock?: Clock;
  log?: Logger;
}

export type ManagerState = 'idle' | 'campaigning' | 'starting' | 'running' | 'stopping' | 'stopped';

// Informers and controllers of every object type live in one manager; Informer<T> and
// Controller<T> take handlers of T, so no narrower type admits all of them at once.
/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyInformer = Informer<any>;
type AnyController = Controller<any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export class Manager implements InformerProvider {
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
  readonly #options: ManagerOptions;
  readonly #clock: Clock;
  readonly #informers = new Map<string, AnyInformer>();
  readonly #controllers: AnyController[] = [];
  readonly #stop = new AbortController();
  #elector: LeaderElector | undefined;
  #state: ManagerState = 'idle';
  #run: Promise<void> | undefined;

  constructor(options: ManagerOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.log = options.log ?? defaultLogger();
    let registry = options.registry;
    if (!registry) {
      registry = new Registry();
      collectDefaultMetrics({ register: registry, prefix: options.processMetricsPrefix ?? 'cnpaas_kube_' });
    }
    this.metrics = new RuntimeMetrics({ registry });
  }

  get state(): ManagerState {
    return this.#state;
  }

  /** For /readyz: controllers are running on synced caches. */
  ready(): boolean {
    return this.#state === 'running';
  }

  /** True while this process holds the leader Lease (always true without leader election once running). */
  isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader() : this.#state === 'running';
  }

  /**
   * The shared informer for `resource` in `scope`: every controller that
   * names the same resource and scope reads the same cache.
   */
  informer<T extends KubernetesObject>(resource: ResourceRef, scope: InformerScope = {}): Informer<T> {
    const id = [resourceId(resource), scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? ''].join(
      '|',
    );
    let informer = this.#informers.get(id);
    if (!informer) {
      if (this.#state !== 'idle') this.#lifecycleError(`informer for ${resource.plural}`);
      informer = new Informer<T>({
        ...this.#options.informerDefaults,
        resource,
        listerWatcher: this.#listerWatcher(resource, scope) as ListerWatcher<T>,
        clock: this.#clock,
        log: this.log,
      });
      this.#informers.set(id, informer);
    }
    return informer as Informer<T>;
  }

  /** Creates a controller wired to this manager's informers, clock, logger and metrics, and adds it. */
  controller<T extends KubernetesObject>(
    options: Omit<ControllerOptions<T>, 'informers' | 'clock' | 'log' | 'metrics'>,
  ): Controller<T> {
    const controller = new Controller<T>({
      ...options,
      informers: this,
      clock: this.#clock,
      log: this.log,
      metrics: this.metrics,
    });
    this.add(controller);
    return controller;
  }

  /** Adds a controller built elsewhere (its informers are started and stopped by the manager too). */
  add(controller: AnyController): void {
    if (this.#state !== 'idle') this.#lifecycleError(`controller ${controller.name}`);
    if (this.#controllers.some((c) => c.name === controller.name)) {
      throw new KubeError('CNPAAS_KUBE_INVALID_CONFIG', `two controllers are named ${controller.name}`, {
        hint: 'controller names label logs and metrics: make them unique',
      });
    }
    this.#controllers.push(controller);
  }

  /**
   * Runs until `stop()` (or `signal`), then shuts down gracefully. Rejects
   * when leadership is lost or the caches do not sync in time.
   */
  start(signal?: AbortSignal): Promise<void> {
    if (this.#run)
      throw new KubeError('CNPAAS_KUBE_LIFECYCLE', 'start() was called twice', {
        hint: 'create a new Manager to run again',
      });
    signal?.addEventListener('abort', () => this.#stop.abort(), { once: true });
    if (signal?.aborted) this.#stop.abort();
    this.#run = this.#start();
    return this.#run;
  }

  /** Begins a graceful shutdown and waits for it. Never rejects. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#run?.catch(() => undefined);
  }

  async #start(): Promise<void> {
    const le = this.#options.leaderElection;
    try {
      if (!le) return await this.#runControllers(this.#stop.signal);
      let failure: { error: unknown } | undefined;
      this.#elector = new LeaderElector({
        lock: le.lock ?? kubeLeaseLock(this.#kubeConfig('the leader Lease'), le),
        identity: le.identity ?? `${hostname()}_${randomUUID()}`,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        clock: this.#clock,
        log: this.log,
        metrics: this.metrics,
        onStartedLeading: async (leading) => {
          try {
            await this.#runControllers(leading);
          } catch (err) {
            failure = { error: err };
            throw err;
          }
        },
      });
      this.#state = 'campaigning';
      const outcome = await this.#elector.run(this.#stop.signal);
      if (failure) throw failure.error;
      if (outcome === 'lost') {
        throw new KubeError('CNPAAS_KUBE_LEADERSHIP_LOST', `lost the leader Lease ${le.namespace}/${le.name}`, {
          hint: 'exit and let the supervisor restart the process; check apiserver reachability and latency',
        });
      }
    } finally {
      this.#state = 'stopped';
    }
  }

  /** Starts informers and controllers, runs until `signal` aborts, then stops them in order. */
  async #runControllers(signal: AbortSignal): Promise<void> {
    this.#state = 'starting';
    const informers = new Set<AnyInformer>(this.#informers.values());
    for (const c of this.#controllers) for (const i of c.informers()) informers.add(i);
    try {
      for (const informer of informers) informer.start();
      await this.#waitForControllers(signal);
      if (signal.aborted) return;
      this.#state = 'running';
      this.log.info({ controllers: this.#controllers.map((c) => c.name) }, 'controllers running');
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      this.#state = 'stopping';
      await this.#shutdown(informers);
    }
  }

  async #waitForControllers(signal: AbortSignal): Promise<void> {
    const timeoutMs = this.#options.cacheSyncTimeoutMs ?? 120_000;
    const deadline = new AbortController();
    const timer = this.#clock.setTimeout(() => deadline.abort(), timeoutMs);
    try {
      const started = await Promise.all(
        this.#controllers.map((c) => c.start(AbortSignal.any([signal, deadline.signal]))),
      );
      if (!signal.aborted && !started.every(Boolean)) {
        throw new KubeError('CNPAAS_KUBE_CACHE_SYNC_TIMEOUT', `caches did not sync within ${timeoutMs} ms`, {
          hint: 'check that the CRDs are installed and that RBAC allows list and watch on every watched resource',
        });
      }
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  async #shutdown(informers: Set<AnyInformer>): Promise<void> {
    const graceMs = this.#options.gracefulShutdownMs ?? 30_000;
    const giveUp = new AbortController();
    const drained = (async () => {
      await Promise.all([...informers].map((i) => i.stop()));
      await Promise.all(this.#controllers.map((c) => c.stop()));
    })().then(
      () => true,
      (err: unknown) => {
        this.log.error({ err: errorMessage(err) }, 'error while stopping');
        return true;
      },
    );
    const timedOut = sleep(this.#clock, graceMs, { signal: giveUp.signal }).then(() => false);
    const clean = await Promise.race([drained, timedOut]);
    giveUp.abort();
    if (!clean)
      this.log.warn(
        { gracefulShutdownMs: graceMs },
        'reconciles still running after the grace period; stopping anyway',
      );
    else this.log.info('controllers stopped');
  }

  #listerWatcher(resource: ResourceRef, scope: InformerScope): ListerWatcher<KubernetesObject> {
    if (this.#options.listerWatcher) return this.#options.listerWatcher(resource, scope);
    return new ResourceClient(this.#kubeConfig(`the informer for ${resource.plural}`), resource, scope);
  }

  #kubeConfig(forWhat: string): KubeConfig {
    if (!this.#options.kubeConfig) {
      throw new KubeError('CNPAAS_KUBE_INVALID_CONFIG', `${forWhat} needs a kubeConfig`, {
        hint: 'pass kubeConfig to new Manager({ kubeConfig })',
      });
    }
    return this.#options.kubeConfig;
  }

  #lifecycleError(what: string): never {
    throw new KubeError('CNPAAS_KUBE_LIFECYCLE', `cannot add ${what}: the manager is ${this.#state}`, {
      hint: 'create every informer and controller before start()',
    });
  }
}
