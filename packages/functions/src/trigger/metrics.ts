/** Prometheus metrics of the trigger, next to the runtime's on the manager's registry. */
import { defineMetrics } from '@cnpaas/service-kit/metrics';

export class TriggerMetrics extends defineMetrics({
  metrics: {
    events: {
      counter: 'cnpaas_trigger_deliveries_total',
      help: 'Events finished, per trigger and outcome (delivered; failed: given up after the retries or refused for good; superseded by a newer event of the same object)',
      labels: ['trigger', 'outcome'],
    },
    attempts: {
      counter: 'cnpaas_trigger_delivery_attempts_total',
      help: 'HTTP attempts, per trigger and result (delivered, retry, permanent)',
      labels: ['trigger', 'result'],
    },
    latency: {
      histogram: 'cnpaas_trigger_delivery_duration_seconds',
      help: 'Time of one HTTP attempt, until the answer or the timeout',
      labels: ['trigger'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    },
    watchFailures: {
      counter: 'cnpaas_trigger_watch_failures_total',
      help: 'Failed lists/watches of the watched resource, per trigger (RBAC, apiserver down)',
      labels: ['trigger'],
    },
    pending: {
      scrapeGauge: 'cnpaas_trigger_pending_events',
      help: 'Events queued, in backoff or in flight, per trigger',
      label: 'trigger',
    },
  },
}) {
  trackPending(trigger: string, size: () => number): () => void {
    return this.pending.track(trigger, size);
  }
}
