/**
 * AdmissionReview v1: the types and answer helpers are @cnpaas/service-kit's
 * (every webhook server shares them; import them from there); this adds the
 * webhooks' own error for a body that is not a review.
 */
import { parseAdmissionReview as parseReview, type CheckedAdmissionReview } from '@cnpaas/service-kit';
import { WebhooksError } from './errors.js';

/** Checks the envelope and returns the review; a body that is not one is CNPAAS_WEBHOOKS_BAD_REVIEW (HTTP 400). */
export function parseAdmissionReview(body: unknown): CheckedAdmissionReview {
  return parseReview(
    body,
    (_kind, message, options) => new WebhooksError('CNPAAS_WEBHOOKS_BAD_REVIEW', message, options),
  );
}
