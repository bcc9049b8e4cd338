/** Prometheus metrics of the trigger, next to the runtime's on the manager's registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class TriggerMetrics {
  /** Finished events, per trigger (namespace/name) and outcome: delivered, failed (given up), superseded (coalesced). */
  readonly events: Counter<'trigger' | 'outcome'>;
  /** HTTP attempts, per trigger and result: delivered, retry, permanent. */
  readonly attempts: Counter<'trigger' | 'result'>;
  readonly latency: Histogram<'trigger'>;
  readonly watchFailures: Counter<'trigger'>;
  readonly pending: Gauge<'trigger'>;
  readonly #pending = new Map<string, () => number>();

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
    const pending = this.#pending;
    this.pending = new Gauge({
      name: 'cnpaas_trigger_pending_events',
      help: 'Events queued, in backoff or in flight, per trigger',
      labelNames: ['trigger'],
      registers,
      collect() {
        this.reset();
        for (const [trigger, size] of pending) this.set({ trigger }, size());
      },
    });
  }

  trackPending(trigger: string, size: () => number): () => void {
    this.#pending.set(trigger, size);
    return () => {
      if (this.#pending.get(trigger) === size) this.#pending.delete(trigger);
    };
  }
}
