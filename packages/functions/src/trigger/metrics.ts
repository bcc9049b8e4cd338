/** Prometheus metrics of the trigger, next to the runtime's on the manager's registry. */
import { ScrapeGauge } from '@cnpaas/service-kit/metrics';
import { Counter, type Gauge, Histogram, type Registry } from 'prom-client';

export class TriggerMetrics {
  /** Finished events, per trigger (namespace/name) and outcome: delivered, failed (given up), superseded (coalesced). */
  readonly events: Counter<'trigger' | 'outcome'>;
  /** HTTP attempts, per trigger and result: delivered, retry, permanent. */
  readonly attempts: Counter<'trigger' | 'result'>;
  readonly latency: Histogram<'trigger'>;
  readonly watchFailures: Counter<'trigger'>;
  readonly pending: Gauge<'trigger'>;
  readonly #pending: ScrapeGauge<'trigger'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.events = new Counter({
      name: 'cnpaas_trigger_deliveries_total',
      help: 'Events finished, per trigger and outcome (delivered; failed: given up after the retries or refused for good; superseded by a newer event of the same object)',
      labelNames: ['trigger', 'outcome'],
      registers,
    });
    this.attempts = new Counter({
      name: 'cnpaas_trigger_delivery_attempts_total',
      help: 'HTTP attempts, per trigger and result (delivered, retry, permanent)',
      labelNames: ['trigger', 'result'],
      registers,
    });
    this.latency = new Histogram({
      name: 'cnpaas_trigger_delivery_duration_seconds',
      help: 'Time of one HTTP attempt, until the answer or the timeout',
      labelNames: ['trigger'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.watchFailures = new Counter({
      name: 'cnpaas_trigger_watch_failures_total',
      help: 'Failed lists/watches of the watched resource, per trigger (RBAC, apiserver down)',
      labelNames: ['trigger'],
      registers,
    });
    this.#pending = new ScrapeGauge({
      name: 'cnpaas_trigger_pending_events',
      help: 'Events queued, in backoff or in flight, per trigger',
      label: 'trigger',
      registers,
    });
    this.pending = this.#pending.gauge;
  }

  trackPending(trigger: string, size: () => number): () => void {
    return this.#pending.track(trigger, size);
  }
}
