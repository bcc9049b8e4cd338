/** The console's Prometheus metrics, on its own registry (served at /metrics). */
import { defineMetrics } from '@cnpaas/service-kit/metrics';

export class ConsoleMetrics extends defineMetrics({
  processMetricsPrefix: 'cnpaas_console_',
  metrics: {
    rejected: {
      counter: 'cnpaas_console_rejected_requests_total',
      help: 'Requests the console refused, by error code',
      labels: ['reason'],
    },
    registrations: {
      counter: 'cnpaas_console_registrations_total',
      help: 'Registrations sent through the sign-up form, by the HTTP status the registrations API answered',
      labels: ['code'],
    },
    streams: {
      gauge: 'cnpaas_console_event_streams',
      help: 'Open data fabric event streams (browsers watching)',
    },
  },
}) {}
