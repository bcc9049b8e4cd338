/**
 * Prometheus metrics of the api-server. The names follow the apiserver's own
 * (`apiserver_request_total`, `apiserver_request_duration_seconds`) with our
 * prefix, so a dashboard can put the aggregator's view and ours side by side.
 */
import { ServiceMetrics } from '@cnpaas/service-kit/metrics';
import { Counter, Histogram, type Registry } from 'prom-client';

export class ApiServerMetrics extends ServiceMetrics {
  readonly requests: Counter<'verb' | 'resource' | 'code'>;
  readonly registrationDuration: Histogram<'outcome'>;
  readonly authorizations: Counter<'allowed' | 'cached'>;

  constructor(options: { registry?: Registry; processMetrics?: boolean } = {}) {
    super({
      ...options,
      processMetricsPrefix: 'cnpaas_api_',
      rejectedRequests: {
        name: 'cnpaas_api_rejected_requests_total',
        help: 'Requests refused before a handler ran, per CNPAAS_API_* code (authentication, authorization, body)',
      },
    });
    const registers = this.registers;
    this.requests = new Counter({
      name: 'cnpaas_api_requests_total',
      help: 'Requests answered, per verb, resource (or discovery/openapi) and HTTP code',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    });
    this.registrationDuration = new Histogram({
      name: 'cnpaas_api_registration_duration_seconds',
      help: 'Time from a registration POST to its answer (create, then watch until the operator deleted the RegistrationRequest), per outcome',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
      registers,
    });
    this.authorizations = new Counter({
      name: 'cnpaas_api_authorization_decisions_total',
      help: 'SubjectAccessReview decisions, per outcome and whether the short-lived cache answered',
      labelNames: ['allowed', 'cached'],
      registers,
    });
  }
}
