/**
 * The error registry of the functions package.
 *
 * `FunctionsError` carries a stable `CNPAAS_FUNCTIONS_*` code, a hint that
 * says what to do, and, for errors that end an HTTP request before the
 * delivery protocol runs, the HTTP status to answer with.
 *
 * SMTP failures are not thrown as `FunctionsError` past the sender: the
 * sender wraps them in `SendError` (email/sender.ts), which says whether a
 * retry can help. That distinction drives the exactly-once protocol.
 *
 * `FunctionsError` is a `ServiceError` (@cnpaas/service-kit): `describe()`,
 * and an `instanceof` that holds across two copies of this package.
 * `errorMessage` is the kit's.
 */
import { ServiceError, type ErrorFactory, type KitErrorOptions } from '@cnpaas/service-kit';

export { errorMessage } from '@cnpaas/service-kit';

export type FunctionsErrorCode =
  /** A command-line flag or environment variable is missing or malformed. */
  | 'CNPAAS_FUNCTIONS_BAD_FLAG'
  /** A certificate or key file cannot be read, or TLS refuses it. */
  | 'CNPAAS_FUNCTIONS_TLS'
  /** A server cannot listen on the requested address. */
  | 'CNPAAS_FUNCTIONS_LISTEN'
  /** No usable kubeconfig (file missing, no current cluster). */
  | 'CNPAAS_FUNCTIONS_KUBECONFIG'
  /** The SMTP settings (env or mounted secret files) are missing or malformed. */
  | 'CNPAAS_FUNCTIONS_SMTP_CONFIG'
  /** The SMTP sink cannot create or write its mail directory. */
  | 'CNPAAS_FUNCTIONS_MAIL_DIR'
  /** `readMail` was asked for an id that is malformed or not stored. */
  | 'CNPAAS_FUNCTIONS_MAIL_NOT_FOUND'
  /** The request body is not JSON. */
  | 'CNPAAS_FUNCTIONS_BODY_NOT_JSON'
  /** The request body is JSON but not an Email (or a watch event carrying one), or the Email is malformed. */
  | 'CNPAAS_FUNCTIONS_BAD_EVENT'
  /** The POST came without a client certificate signed by the function's client CA. */
  | 'CNPAAS_FUNCTIONS_CLIENT_CERT_REQUIRED'
  /** The client certificate is valid but its CN is not on the allowed list. */
  | 'CNPAAS_FUNCTIONS_CLIENT_NOT_ALLOWED'
  /** A read or write of the Email's status failed (apiserver unreachable, 5xx, forbidden). */
  | 'CNPAAS_FUNCTIONS_STATUS_STORE'
  /** SMTP refused the message for a reason a retry may fix (4xx, connection error, timeout). */
  | 'CNPAAS_FUNCTIONS_SEND_TRANSIENT'
  /** SMTP refused the message for good (5xx other than 503). */
  | 'CNPAAS_FUNCTIONS_SEND_PERMANENT'
  /** An HTTPTrigger's spec cannot be run (bad URL, header, namespace, TLS settings). */
  | 'CNPAAS_FUNCTIONS_TRIGGER_SPEC'
  /** An HTTPTrigger body template does not parse, or rendering it failed. */
  | 'CNPAAS_FUNCTIONS_TRIGGER_TEMPLATE';

export class FunctionsError extends ServiceError<FunctionsErrorCode> {
  static override readonly brand = Symbol.for('cnpaas.functions.FunctionsError');
  override readonly name = 'FunctionsError';

  /** The HTTP status to answer with when this error ends a request; 500 when unset. */
  readonly httpStatus: number | undefined;

  constructor(code: FunctionsErrorCode, message: string, options: KitErrorOptions = {}) {
    super(code, message, options);
    this.httpStatus = options.httpStatus;
  }
}

/** The kit's failures (flags, certificate files, kubeconfig, listen, client certificates) under this package's codes; it has one for each. */
export const kitError: ErrorFactory = (kind, message, options) => new FunctionsError(`CNPAAS_FUNCTIONS_${kind}`, message, options);
