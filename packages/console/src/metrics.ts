/** The console's Prometheus metrics, on its own registry (served at /metrics). */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class ConsoleMetrics {
  readonly registry = new Registry();
  readonly rejected = new Counter({
    name: 'cnpaas_console_rejected_requests_total',
    help: 'Requests the console refused, by error code',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly registrations = new Counter({
    name: 'cnpaas_console_registrations_total',
    help: 'Registrations sent through the sign-up form, by the HTTP status the registrations API answered',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly streams = new Gauge({
    name: 'cnpaas_console_event_streams',
    help: 'Open data fabric event streams (browsers watching)',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'cnpaas_console_' });
  }
}
