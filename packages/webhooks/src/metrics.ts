/**
 * Prometheus metrics of the webhooks, named after the apiserver's own
 * admission metrics (`apiserver_admission_webhook_*`) so the two sides of a
 * call line up on one dashboard.
 */
import { defineMetrics } from '@cnpaas/service-kit/metrics';
import type { ClaimOutcome } from './email-claim.js';

export class WebhookMetrics extends defineMetrics({
  processMetricsPrefix: 'cnpaas_webhooks_',
  metrics: {
    rejectedRequests: {
      counter: 'cnpaas_webhook_rejected_requests_total',
      help: 'Requests refused before any handler ran, per reason (client certificate, body not a review, too large)',
      labels: ['reason'],
    },
    admissionTotal: {
      counter: 'cnpaas_webhook_admission_requests_total',
      help: 'Admission reviews answered, per webhook, operation, decision and status code (200 when allowed)',
      labels: ['webhook', 'operation', 'allowed', 'code'],
    },
    admissionDuration: {
      histogram: 'cnpaas_webhook_admission_duration_seconds',
      help: 'Time to answer one admission review, per webhook (includes password hashing and claim calls)',
      labels: ['webhook'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    },
    claimsTotal: {
      counter: 'cnpaas_webhook_email_claims_total',
      help: 'Email claim attempts per outcome: claimed, already-ours, dry-run, taken',
      labels: ['outcome'],
    },
  },
}) {
  countClaim(outcome: ClaimOutcome['outcome']): void {
    this.claimsTotal.inc({ outcome });
  }
}
