/** Prometheus metrics of the email function. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class FunctionMetrics {
  readonly registry: Registry;
  readonly deliveries: Counter<'outcome' | 'code'>;
  readonly duration: Histogram<'outcome'>;
  readonly rejectedRequests: Counter<'reason'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    // Off by default: the process collectors start timers, which unit tests do not want.
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'cnpaas_email_function_' });
    this.deliveries = new Counter({
      name: 'cnpaas_email_deliveries_total',
      help: 'Delivery requests answered, per outcome (sent, already-sent, retry-later, …) and HTTP status',
      labelNames: ['outcome', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'cnpaas_email_delivery_duration_seconds',
      help: 'Time to answer one delivery request, SMTP retries included',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.rejectedRequests = new Counter({
      name: 'cnpaas_email_function_rejected_requests_total',
      help: 'Requests refused before delivery, per reason (client certificate, body, size)',
      labelNames: ['reason'],
      registers,
    });
  }
}
