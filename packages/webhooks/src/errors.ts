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
 * `WebhooksError` is a `ServiceError` (@cnpaas/service-kit): `describe()`,
 * and an `instanceof` that holds across two copies of this package.
 * `errorMessage` is the kit's.
 */
import { ServiceError, type ErrorFactory, type KitErrorOptions } from '@cnpaas/service-kit';

export { errorMessage } from '@cnpaas/service-kit';

export type WebhooksErrorCode =
  /** A command-line flag or environment variable is missing or malformed. */
  | 'CNPAAS_WEBHOOKS_BAD_FLAG'
  /** A certificate or key file cannot be read, or TLS refuses it. */
  | 'CNPAAS_WEBHOOKS_TLS'
  /** The server cannot listen on the requested address. */
  | 'CNPAAS_WEBHOOKS_LISTEN'
  /** No usable kubeconfig (file missing, no current cluster). */
  | 'CNPAAS_WEBHOOKS_KUBECONFIG'
  /** The request body is not JSON. */
  | 'CNPAAS_WEBHOOKS_BODY_NOT_JSON'
  /** The request body is JSON but not an admission.k8s.io/v1 AdmissionReview with a request. */
  | 'CNPAAS_WEBHOOKS_BAD_REVIEW'
  /** An admission route was called without a client certificate signed by the client CA. */
  | 'CNPAAS_WEBHOOKS_CLIENT_CERT_REQUIRED'
  /** The client certificate is valid but its common name is not on the allowed list. */
  | 'CNPAAS_WEBHOOKS_CLIENT_NOT_ALLOWED'
  /** A call to the Kubernetes API for an email claim or a user lookup failed. */
  | 'CNPAAS_WEBHOOKS_CLAIM_STORE'
  /** Password-hash parameters that are too weak or out of range. */
  | 'CNPAAS_WEBHOOKS_HASH_PARAMS'
  /** Inputs for rendering the webhook configurations are invalid (URL, CA bundle). */
  | 'CNPAAS_WEBHOOKS_MANIFEST';

export class WebhooksError extends ServiceError<WebhooksErrorCode> {
  static override readonly brand = Symbol.for('cnpaas.webhooks.WebhooksError');
  override readonly name = 'WebhooksError';

  /** The HTTP status to answer with when this error ends a request; 500 when unset. */
  readonly httpStatus: number | undefined;

  constructor(code: WebhooksErrorCode, message: string, options: KitErrorOptions = {}) {
    super(code, message, options);
    this.httpStatus = options.httpStatus;
  }
}

/** The kit's failures (flags, certificate files, kubeconfig, listen, client certificates) under this package's codes. */
export const kitError: ErrorFactory = (kind, message, options) => new WebhooksError(`CNPAAS_WEBHOOKS_${kind}`, message, options);
