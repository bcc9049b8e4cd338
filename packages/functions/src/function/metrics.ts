/** Prometheus metrics of the email function. */
import { defineMetrics } from '@cnpaas/service-kit/metrics';

export class FunctionMetrics extends defineMetrics({
  processMetricsPrefix: 'cnpaas_email_function_',
  metrics: {
    rejectedRequests: {
      counter: 'cnpaas_email_function_rejected_requests_total',
      help: 'Requests refused before delivery, per reason (client certificate, body, size)',
      labels: ['reason'],
    },
    deliveries: {
      counter: 'cnpaas_email_deliveries_total',
      help: 'Delivery requests answered, per outcome (sent, already-sent, retry-later, …) and HTTP status',
      labels: ['outcome', 'code'],
    },
    duration: {
      histogram: 'cnpaas_email_delivery_duration_seconds',
      help: 'Time to answer one delivery request, SMTP retries included',
      labels: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    },
  },
}) {}
