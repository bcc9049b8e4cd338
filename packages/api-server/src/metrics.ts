/**
 * Prometheus metrics of the api-server. The names follow the apiserver's own
 * (`apiserver_request_total`, `apiserver_request_duration_seconds`) with our
 * prefix, so a dashboard can put the aggregator's view and ours side by side.
 */
import { defineMetrics } from '@cnpaas/service-kit/metrics';

export class ApiServerMetrics extends defineMetrics({
  processMetricsPrefix: 'cnpaas_api_',
  metrics: {
    rejectedRequests: {
      counter: 'cnpaas_api_rejected_requests_total',
      help: 'Requests refused before a handler ran, per CNPAAS_API_* code (authentication, authorization, body)',
      labels: ['reason'],
    },
    requests: {
      counter: 'cnpaas_api_requests_total',
      help: 'Requests answered, per verb, resource (or discovery/openapi) and HTTP code',
      labels: ['verb', 'resource', 'code'],
    },
    registrationDuration: {
      histogram: 'cnpaas_api_registration_duration_seconds',
      help: 'Time from a registration POST to its answer (create, then watch until the operator deleted the RegistrationRequest), per outcome',
      labels: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    },
    authorizations: {
      counter: 'cnpaas_api_authorization_decisions_total',
      help: 'SubjectAccessReview decisions, per outcome and whether the short-lived cache answered',
      labels: ['allowed', 'cached'],
    },
  },
}) {}
