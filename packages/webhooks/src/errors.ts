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
 * The class uses a `Symbol.for` brand so `instanceof` also holds across two
 * copies of this package (the undici pattern, as in @cnpaas/operator).
 */

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

const webhooksErrorBrand = Symbol.for('cnpaas.webhooks.WebhooksError');

export class WebhooksError extends Error {
  override readonly name = 'WebhooksError';
  readonly [webhooksErrorBrand] = true;

  readonly hint: string | undefined;
  /** The HTTP status to answer with when this error ends a request; 500 when unset. */
  readonly httpStatus: number | undefined;

  constructor(
    readonly code: WebhooksErrorCode,
    message: string,
    options: { hint?: string; httpStatus?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.hint = options.hint;
    this.httpStatus = options.httpStatus;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && webhooksErrorBrand in value;
  }

  /** The text shown to a person: what went wrong, then what to do. */
  describe(): string {
    return this.hint ? `${this.code}: ${this.message}\n  fix: ${this.hint}` : `${this.code}: ${this.message}`;
  }
}

/**
 * A one-line description of any thrown value, for logs and denial messages.
 * client-node's `ApiException` message spans lines (code, message, the whole
 * body, every header); only its "Message:" line is worth showing.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof WebhooksError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) {
    const apiMessage = /^Message: (.*)$/m.exec(err.message);
    if (err.message.startsWith('HTTP-Code:') && apiMessage) return apiMessage[1]!;
    return err.message.split('\n')[0]!;
  }
  return String(err);
}
