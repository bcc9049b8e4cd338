/**
 * Prometheus metrics of the webhooks, named after the apiserver's own
 * admission metrics (`apiserver_admission_webhook_*`) so the two sides of a
 * call line up on one dashboard.
 */
import { ServiceMetrics } from '@cnpaas/service-kit/metrics';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ClaimOutcome } from './email-claim.js';

export class WebhookMetrics extends ServiceMetrics {
  readonly admissionTotal: Counter<'webhook' | 'operation' | 'allowed' | 'code'>;
  readonly admissionDuration: Histogram<'webhook'>;
  readonly claimsTotal: Counter<'outcome'>;

  constructor(options: { registry?: Registry; processMetrics?: boolean } = {}) {
    super({
      ...options,
      processMetricsPrefix: 'cnpaas_webhooks_',
      rejectedRequests: {
        name: 'cnpaas_webhook_rejected_requests_total',
        help: 'Requests refused before any handler ran, per reason (client certificate, body not a review, too large)',
      },
    });
    const registers = this.registers;
    this.admissionTotal = new Counter({
      name: 'cnpaas_webhook_admission_requests_total',
      help: 'Admission reviews answered, per webhook, operation, decision and status code (200 when allowed)',
      labelNames: ['webhook', 'operation', 'allowed', 'code'],
      registers,
    });
    this.admissionDuration = new Histogram({
      name: 'cnpaas_webhook_admission_duration_seconds',
      help: 'Time to answer one admission review, per webhook (includes password hashing and claim calls)',
      labelNames: ['webhook'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.claimsTotal = new Counter({
      name: 'cnpaas_webhook_email_claims_total',
      help: 'Email claim attempts per outcome: claimed, already-ours, dry-run, taken',
      labelNames: ['outcome'],
      registers,
    });
  }

  countClaim(outcome: ClaimOutcome['outcome']): void {
    this.claimsTotal.inc({ outcome });
  }
}
