/**
 * The error registry of the webhooks package.
 *
 * `WebhooksError` carries a stable `CNPAAS_WEBHOOKS_*` code, a hint that says
 * what to do, and, for errors that end an HTTP request before any handler
 * runs (a body that is not an AdmissionReview, a missing client
 * certificate), the HTTP status to answer with.
 *
 * Admission *denials* are not errors: a handler answers `allowed: false`
 * with a Kubernetes `Status` (see admission-review.ts). Errors here are for
 * the person running the server and for requests that never were valid
 * admission calls.
 *
 * The codes are one table (`defineErrors`, @cnpaas/service-kit): the class,
 * the code union and docs/errors.md come from it. `WebhooksError` is a
 * `ServiceError`: `describe()`, and an `instanceof` that holds across two
 * copies of this package. `errorMessage` is the kit's.
 */
import { defineErrors } from '@cnpaas/service-kit';

export { errorMessage } from '@cnpaas/service-kit';

export class WebhooksError extends defineErrors({
  package: 'webhooks',
  name: 'WebhooksError',
  prefix: 'CNPAAS_WEBHOOKS_',
  codes: {
    CNPAAS_WEBHOOKS_BAD_FLAG: {
      meaning: 'A command-line flag or environment variable is missing or malformed.',
      fix: 'Run cnpaas-webhooks --help for the flags and their CNPAAS_WEBHOOKS_* variables, and correct the one named.',
    },
    CNPAAS_WEBHOOKS_TLS: {
      meaning: 'A certificate or key file cannot be read, or TLS refuses it.',
      fix: 'Pass readable PEM files whose key belongs to the certificate (cnpaas up writes them under .cnpaas/pki).',
    },
    CNPAAS_WEBHOOKS_LISTEN: {
      meaning: 'The server cannot listen on the requested address.',
      fix: 'Free the port, or pass another --listen HOST:PORT (CNPAAS_WEBHOOKS_LISTEN).',
    },
    CNPAAS_WEBHOOKS_KUBECONFIG: {
      meaning: 'No usable kubeconfig (file missing, no current cluster).',
      fix: "Pass --kubeconfig (or KUBECONFIG) with the webhooks' kubeconfig from cnpaas up, with current-context set.",
    },
    CNPAAS_WEBHOOKS_BODY_NOT_JSON: {
      meaning: 'The request body is not JSON.',
      fix: 'Send an admission.k8s.io/v1 AdmissionReview as JSON; only kube-apiserver should call these routes.',
    },
    CNPAAS_WEBHOOKS_BAD_REVIEW: {
      meaning: 'The request body is JSON but not an admission.k8s.io/v1 AdmissionReview with a request.',
      fix: 'Send an admission.k8s.io/v1 AdmissionReview with a request; the webhook configuration must list admissionReviewVersions [v1].',
    },
    CNPAAS_WEBHOOKS_CLIENT_CERT_REQUIRED: {
      meaning: 'An admission route was called without a client certificate signed by the client CA.',
      fix: 'Give kube-apiserver a client certificate signed by --client-ca-file for its admission calls (its admission configuration), as cnpaas up does.',
    },
    CNPAAS_WEBHOOKS_CLIENT_NOT_ALLOWED: {
      meaning: 'The client certificate is valid but its common name is not on the allowed list.',
      fix: 'Use a certificate whose CN is in --allowed-client-names, or add its CN there.',
    },
    CNPAAS_WEBHOOKS_CLAIM_STORE: {
      meaning: 'A call to the Kubernetes API for an email claim or a user lookup failed.',
      fix: 'Retry the request; if it persists, check that the webhooks reach the apiserver, that the system namespace exists and that their RBAC (configmaps in cnpaas-system, list users) is applied.',
    },
    CNPAAS_WEBHOOKS_HASH_PARAMS: {
      meaning: 'Password-hash parameters that are too weak (below the argon2id floor m=19456,t=2,p=1) or out of range.',
      fix: 'Use argon2id parameters at or above the floor and within the limits the message gives, or the defaults.',
    },
    CNPAAS_WEBHOOKS_MANIFEST: {
      meaning: 'Inputs for rendering the webhook configurations are invalid (URL, CA bundle).',
      fix: "Pass the server's https URL (e.g. https://127.0.0.1:9443) and the PEM CA certificate that signed its serving certificate (cnpaas up's PKI has it).",
    },
  },
}) {}
export type WebhooksErrorCode = WebhooksError['code'];
