/**
 * Prometheus metrics of the runtime, named after controller-runtime's
 * (`controller_runtime_reconcile_total` → `cnpaas_controller_reconcile_total`
 * and so on) so existing dashboards translate one-to-one.
 */
import { ScrapeGauge } from '@cnpaas/service-kit/metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type ReconcileResultLabel = 'success' | 'requeue_after' | 'error' | 'terminal_error';

export class RuntimeMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly terminalErrors: Counter<'controller'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly queueDepth: Gauge<'name'>;
  readonly queueRetries: Counter<'name'>;
  readonly activeWorkers: Gauge<'controller'>;
  readonly isLeader: Gauge<'lease'>;
  readonly #queueDepth: ScrapeGauge<'name'>;
  readonly #activeWorkers: ScrapeGauge<'controller'>;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.reconcileTotal = new Counter({
      name: 'cnpaas_controller_reconcile_total',
      help: 'Reconciles per controller and result',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'cnpaas_controller_reconcile_errors_total',
      help: 'Reconciles that threw (retried with backoff), per controller',
      labelNames: ['controller'],
      registers,
    });
    this.terminalErrors = new Counter({
      name: 'cnpaas_controller_terminal_reconcile_errors_total',
      help: 'Reconciles that threw a TerminalError (not retried), per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'cnpaas_controller_reconcile_duration_seconds',
      help: 'Time per reconcile, per controller',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    // Read at scrape time: cheaper and never stale, unlike updating on every add.
    this.#queueDepth = new ScrapeGauge({
      name: 'cnpaas_workqueue_depth',
      help: 'Keys ready and waiting for a worker, per queue',
      label: 'name',
      registers,
    });
    this.queueDepth = this.#queueDepth.gauge;
    this.queueRetries = new Counter({
      name: 'cnpaas_workqueue_retries_total',
      help: 'Rate-limited requeues (retries after an error), per queue',
      labelNames: ['name'],
      registers,
    });
    this.#activeWorkers = new ScrapeGauge({
      name: 'cnpaas_controller_active_workers',
      help: 'Reconciles running now, per controller',
      label: 'controller',
      registers,
    });
    this.activeWorkers = this.#activeWorkers.gauge;
    this.isLeader = new Gauge({
      name: 'cnpaas_leader_election_is_leader',
      help: '1 while this process holds the leader Lease',
      labelNames: ['lease'],
      registers,
    });
  }

  /** Reports a queue's depth and active workers at every scrape. */
  trackQueue(name: string, queue: { len(): number; activeCount(): number }): void {
    this.#queueDepth.track(name, () => queue.len());
    this.#activeWorkers.track(name, () => queue.activeCount());
  }
}
