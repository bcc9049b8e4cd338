/**
 * Prometheus metrics of the runtime, named after controller-runtime's
 * (`controller_runtime_reconcile_total` → `cnpaas_controller_reconcile_total`
 * and so on) so existing dashboards translate one-to-one.
 */
import { defineMetrics } from '@cnpaas/service-kit/metrics';

export type ReconcileResultLabel = 'success' | 'requeue_after' | 'error' | 'terminal_error';

export class RuntimeMetrics extends defineMetrics({
  metrics: {
    reconcileTotal: {
      counter: 'cnpaas_controller_reconcile_total',
      help: 'Reconciles per controller and result',
      labels: ['controller', 'result'],
    },
    reconcileErrors: {
      counter: 'cnpaas_controller_reconcile_errors_total',
      help: 'Reconciles that threw (retried with backoff), per controller',
      labels: ['controller'],
    },
    terminalErrors: {
      counter: 'cnpaas_controller_terminal_reconcile_errors_total',
      help: 'Reconciles that threw a TerminalError (not retried), per controller',
      labels: ['controller'],
    },
    reconcileDuration: {
      histogram: 'cnpaas_controller_reconcile_duration_seconds',
      help: 'Time per reconcile, per controller',
      labels: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    },
    // Read at scrape time: cheaper and never stale, unlike updating on every add.
    queueDepth: {
      scrapeGauge: 'cnpaas_workqueue_depth',
      help: 'Keys ready and waiting for a worker, per queue',
      label: 'name',
    },
    queueRetries: {
      counter: 'cnpaas_workqueue_retries_total',
      help: 'Rate-limited requeues (retries after an error), per queue',
      labels: ['name'],
    },
    activeWorkers: {
      scrapeGauge: 'cnpaas_controller_active_workers',
      help: 'Reconciles running now, per controller',
      label: 'controller',
    },
    isLeader: {
      gauge: 'cnpaas_leader_election_is_leader',
      help: '1 while this process holds the leader Lease',
      labels: ['lease'],
    },
  },
}) {
  /** Reports a queue's depth and active workers at every scrape. */
  trackQueue(name: string, queue: { len(): number; activeCount(): number }): void {
    this.queueDepth.track(name, () => queue.len());
    this.activeWorkers.track(name, () => queue.activeCount());
  }
}
