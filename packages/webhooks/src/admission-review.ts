/**
 * AdmissionReview v1: the types and answer helpers are @cnpaas/service-kit's
 * (every webhook server shares them; import them from there); this adds the
 * webhooks' own error for a body that is not a review.
 */
import { ADMISSION_REVIEW_HINT, admissionReviewProblem, type CheckedAdmissionReview } from '@cnpaas/service-kit';
import { WebhooksError } from './errors.js';

/** Checks the envelope and returns the review; a body that is not one is CNPAAS_WEBHOOKS_BAD_REVIEW (HTTP 400). */
export function parseAdmissionReview(body: unknown): CheckedAdmissionReview {
  const problem = admissionReviewProblem(body);
  if (problem !== undefined) {
    throw new WebhooksError('CNPAAS_WEBHOOKS_BAD_REVIEW', `request body is not an AdmissionReview: ${problem}`, {
      hint: ADMISSION_REVIEW_HINT,
      httpStatus: 400,
    });
  }
  return body as CheckedAdmissionReview;
}
