/**
 * The HTTPTrigger controller, on the @cnpaas/kube runtime: an informer on
 * the httptriggers of this instance's class (a label selector, types.ts
 * `triggerSelector`) feeds a level-triggered reconcile that keeps one
 * `TriggerRunner` per valid trigger, in line with its spec:
 *
 * - gone, or relabelled to another class → its runner stops (status is not
 *   written: there is none, or it is the other instance's now);
 * - spec invalid → no runner; `Ready=False` with the reason
 *   (InvalidSpec, InvalidTemplate, NamespaceNotAllowed, TargetNotAllowed,
 *   CABundleUnavailable, ClientCertificateUnavailable) and a Warning Event;
 * - new generation or uid → the old runner stops (in-flight attempts get a
 *   grace period, its progress is written) and a new one resumes from that
 *   progress if the watch (resource, namespaces, selectors) is unchanged,
 *   else starts over with a list;
 * - same generation → nothing (the runner's own status writes come back
 *   here as updates and must not restart it), except that a trigger naming
 *   Secrets re-reads them every minute, so a rotated certificate is used
 *   for the next connection without a restart.
 *
 * Reconciles run only while this process holds the leader Lease (the
 * Manager's job). `TriggerSet.stopAll()` stops every runner; the process
 * calls it before the Manager releases the Lease, so two leaders never
 * deliver at once on a clean handover.
 */
import {
  type Clock,
  type EventInput,
  isNotFound,
  type Logger,
  type Manager,
  type ReconcileResult,
  setCondition,
} from '@cnpaas/kube';
import { loadDeliveryTls, sameTls, type SecretReader } from './delivery-tls.js';
import { HttpDeliverer, type DeliveryTls } from './http-delivery.js';
import type { TriggerMetrics } from './metrics.js';
import { TriggerRunner, streamsOf, type EventPublisher, type ListerWatcherFactory, type Sender } from './runner.js';
import { planTrigger, type TriggerPlan } from './spec.js';
import { targetPolicy, type TargetPolicy } from './target-policy.js';
import { TriggerStatusWriter, resumePoints, type StatusPatcher } from './status-writer.js';
import { HTTPTRIGGERS_RESOURCE, SYSTEM_NAMESPACE, triggerSelector, type HTTPTrigger } from './types.js';

export interface TriggerControllerOptions {
  manager: Manager;
  /**
   * Run only the HTTPTriggers labelled with this class (types.ts TRIGGER_CLASS_LABEL); unset, only those
   * without the label. The informer selects them server-side, so a trigger of another class is never seen.
   */
  triggerClass?: string;
  listerWatcherFor: ListerWatcherFactory;
  statusPatcher: StatusPatcher;
  /** Reads a Secret the HTTPTrigger names (spec.tls.caSecretRef, spec.tls.clientSecretRef). */
  readSecret?: SecretReader;
  /** Which targets may be called (loopback, link-local and the apiserver only when allow-listed). */
  targets?: TargetPolicy;
  /** Builds the HTTP sender of a runner; default `HttpDeliverer`. Tests pass their own. */
  senderFor?: (plan: TriggerPlan, tls: () => DeliveryTls) => Sender;
  events?: EventPublisher;
  metrics?: TriggerMetrics;
  clusterTriggerNamespaces?: readonly string[];
  statusIntervalMs?: number;
  maxPending?: number;
  stopGraceMs?: number;
  /** Options passed to every runner (tests: fixed jitter, short watch backoff). */
  runner?: {
    random?: () => number;
    watchBackoff?: { initialMs?: number; maxMs?: number };
    watchTimeoutSeconds?: number;
  };
  /** Default the real clock; tests pass the Manager's FakeClock. */
  clock?: Clock;
  log: Logger;
  version?: string;
}

interface Running {
  uid: string;
  generation: number;
  runner: TriggerRunner;
  status: TriggerStatusWriter;
  /** What the runner's sender reads at each attempt; replaced when a Secret rotates. */
  tls: { current: DeliveryTls };
}

/** How often a running trigger that names Secrets re-reads them. */
const SECRET_REFRESH_MS = 60_000;

export class TriggerSet {
  readonly #running = new Map<string, Running>();
  #closed = false;

  get(key: string): TriggerRunner | undefined {
    return this.#running.get(key)?.runner;
  }

  keys(): string[] {
    return [...this.#running.keys()];
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal */
  entry(key: string): Running | undefined {
    return this.#running.get(key);
  }

  /** @internal */
  set(key: string, running: Running): void {
    this.#running.set(key, running);
  }

  /** Stops the runner under `key`; returns its final resume points and status. */
  async stop(
    key: string,
    graceMs?: number,
  ): Promise<{ running: Running; progress: Record<string, string> } | undefined> {
    const running = this.#running.get(key);
    if (!running) return undefined;
    this.#running.delete(key);
    const progress = await running.runner.stop(graceMs);
    return { running, progress };
  }

  /** Stops every runner (flushing status) and refuses new ones. */
  async stopAll(graceMs?: number): Promise<void> {
    this.#closed = true;
    await Promise.all(this.keys().map((key) => this.stop(key, graceMs)));
  }
}

export function addTriggerController(options: TriggerControllerOptions): TriggerSet {
  const set = new TriggerSet();
  const clusterTriggerNamespaces = options.clusterTriggerNamespaces ?? [SYSTEM_NAMESPACE];
  const graceMs = options.stopGraceMs ?? 5_000;
  const targets = options.targets ?? targetPolicy();

  async function reportInvalid(trigger: HTTPTrigger, reason: string, message: string, log: Logger): Promise<void> {
    const meta = trigger.metadata!;
    const { conditions, changed } = setCondition(trigger.status?.conditions, {
      type: 'Ready',
      status: 'False',
      reason,
      message,
      observedGeneration: meta.generation,
    });
    if (!changed && trigger.status?.observedGeneration === meta.generation) return;
    log.warn({ reason, message }, 'HTTPTrigger cannot run');
    void options.events?.publish({
      regarding: trigger,
      type: 'Warning',
      reason,
      action: 'Validate',
      note: message,
    } satisfies EventInput);
    await options.statusPatcher.patch(
      { namespace: meta.namespace!, name: meta.name! },
      { observedGeneration: meta.generation, conditions },
    );
  }

  options.manager.controller<HTTPTrigger>({
    name: 'httptrigger',
    for: options.manager.informer<HTTPTrigger>(HTTPTRIGGERS_RESOURCE, {
      labelSelector: triggerSelector(options.triggerClass),
    }),
    reconciler: {
      async reconcile(key, { object: trigger, log }): Promise<ReconcileResult | void> {
        const current = set.entry(key);
        if (!trigger) {
          if (current) {
            log.info('HTTPTrigger deleted; stopping');
            await set.stop(key, graceMs);
          }
          return;
        }
        if (set.closed) return;
        const uid = trigger.metadata?.uid ?? '';
        const generation = trigger.metadata?.generation ?? 0;
        if (current && current.uid === uid && current.generation === generation) {
          const { plan } = current.runner;
          if (!plan.clientSecret && !plan.ca.secretRef) return;
          const loaded = await loadDeliveryTls(plan, options.readSecret);
          // A Secret that went missing keeps the last good material: a brief gap in a rotation must not stop delivery.
          if (loaded.ok && !sameTls(loaded.tls, current.tls.current)) {
            log.info('a Secret of the HTTPTrigger changed; new connections use it');
            current.tls.current = loaded.tls;
          }
          return { requeueAfterMs: SECRET_REFRESH_MS };
        }

        const planned = planTrigger(trigger, { clusterTriggerNamespaces, targets });
        if (!planned.ok) {
          if (current) await set.stop(key, graceMs);
          try {
            await reportInvalid(trigger, planned.reason, planned.message, log);
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
          return;
        }
        const plan = planned.plan;

        const loaded = await loadDeliveryTls(plan, options.readSecret);
        if (!loaded.ok) {
          if (current) await set.stop(key, graceMs);
          await reportInvalid(trigger, loaded.reason, loaded.message, log).catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          });
          return { requeueAfterMs: 30_000 };
        }
        const tls = { current: loaded.tls };

        // Resume from the runner being replaced if there is one (its progress is newer than the cache's status).
        let status = trigger.status ?? {};
        if (current && current.uid === uid) {
          const stopped = await set.stop(key, graceMs);
          if (stopped) status = stopped.running.status.snapshot();
        } else if (current) {
          // Same name, new object: the old one's progress is not this one's.
          await set.stop(key, graceMs);
        }
        if (set.closed) return;

        const streams = streamsOf(plan);
        const writer = new TriggerStatusWriter({
          target: { namespace: plan.namespace, name: plan.name },
          patcher: options.statusPatcher,
          initial: status,
          generation,
          fingerprint: plan.fingerprint,
          streams,
          intervalMs: options.statusIntervalMs ?? 2_000,
          ...(options.clock ? { clock: options.clock } : {}),
          log,
        });
        const currentTls = (): DeliveryTls => tls.current;
        const sender =
          options.senderFor?.(plan, currentTls) ??
          new HttpDeliverer({
            targets,
            tls: currentTls,
            maxSockets: plan.delivery.concurrency,
            userAgent: `cnpaas-trigger/${options.version ?? '0'}`,
          });
        const runner = new TriggerRunner({
          plan,
          trigger,
          listerWatcherFor: options.listerWatcherFor,
          sender,
          status: writer,
          ...(options.events ? { events: options.events } : {}),
          ...(options.metrics ? { metrics: options.metrics } : {}),
          ...(options.maxPending ? { maxPending: options.maxPending } : {}),
          ...options.runner,
          ...(options.clock ? { clock: options.clock } : {}),
          log,
        });
        set.set(key, { uid, generation, runner, status: writer, tls });
        const resume = resumePoints(status, plan.fingerprint, streams);
        log.info({ generation, resume, url: plan.url, eventTypes: [...plan.eventTypes] }, 'starting HTTPTrigger');
        runner.start(resume);
        await writer.flush();
        return plan.clientSecret || plan.ca.secretRef ? { requeueAfterMs: SECRET_REFRESH_MS } : undefined;
      },
    },
  });
  return set;
}
