/** Prometheus metrics of the email function. */
import { ServiceMetrics } from '@cnpaas/service-kit/metrics';
import { Counter, Histogram } from 'prom-client';

export class FunctionMetrics extends ServiceMetrics {
  readonly deliveries: Counter<'outcome' | 'code'>;
  readonly duration: Histogram<'outcome'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    super({
      ...options,
      processMetricsPrefix: 'cnpaas_email_function_',
      rejectedRequests: {
        name: 'cnpaas_email_function_rejected_requests_total',
        help: 'Requests refused before delivery, per reason (client certificate, body, size)',
      },
    });
    const registers = this.registers;
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
  }
}
