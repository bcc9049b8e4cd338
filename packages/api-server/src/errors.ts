/**
 * The error registry of the api-server package.
 *
 * `ApiServerError` carries a stable `CNPAAS_API_*` code and a hint that says
 * what to do. Errors that end an HTTP request also carry the Kubernetes
 * `Status` to answer with (status.ts): every error body this server sends is
 * a `metav1.Status`, because kubectl and client-go only understand those.
 *
 * `ApiServerError` is a `ServiceError` (@cnpaas/service-kit): `describe()`,
 * and an `instanceof` that holds across two copies of this package.
 * `errorMessage` is the kit's.
 */
import { ServiceError, type ErrorFactory, type ServiceErrorOptions } from '@cnpaas/service-kit';
import type { KubeStatus } from './status.js';

export { errorMessage } from '@cnpaas/service-kit';

export type ApiServerErrorCode =
  /** A command-line flag or environment variable is missing or malformed. */
  | 'CNPAAS_API_BAD_FLAG'
  /** A certificate or key file cannot be read, or TLS refuses it. */
  | 'CNPAAS_API_TLS'
  /** The server cannot listen on the requested address. */
  | 'CNPAAS_API_LISTEN'
  /** No usable kubeconfig (file missing, no current cluster). */
  | 'CNPAAS_API_KUBECONFIG'
  /** A request came without a client certificate signed by the front-proxy (requestheader) CA. */
  | 'CNPAAS_API_UNAUTHENTICATED'
  /** The front-proxy certificate is valid but its CN is not in --requestheader-allowed-names. */
  | 'CNPAAS_API_PROXY_NOT_ALLOWED'
  /** A proxied request carried no X-Remote-User. */
  | 'CNPAAS_API_NO_USER'
  /** The SubjectAccessReview said no. */
  | 'CNPAAS_API_FORBIDDEN'
  /** The SubjectAccessReview could not be asked (kube API down, our RBAC missing). */
  | 'CNPAAS_API_AUTHORIZER'
  /** The body is not JSON/YAML, or not a single object. */
  | 'CNPAAS_API_BAD_BODY'
  /** The body's apiVersion/kind is not one this resource accepts. */
  | 'CNPAAS_API_BAD_KIND'
  /** The body parsed but a field is missing, of the wrong type, too long, or unknown. */
  | 'CNPAAS_API_INVALID'
  /** The body is larger than --max-body-bytes. */
  | 'CNPAAS_API_TOO_LARGE'
  /** The Content-Type is not JSON or YAML. */
  | 'CNPAAS_API_UNSUPPORTED_MEDIA_TYPE'
  /** No such path, or a method the path does not serve. */
  | 'CNPAAS_API_NOT_FOUND'
  | 'CNPAAS_API_METHOD_NOT_ALLOWED'
  /** The kube API refused the RegistrationRequest (a webhook denial, a taken name): its Status is passed on. */
  | 'CNPAAS_API_CREATE_REFUSED'
  /** The kube API could not be reached or failed while creating or watching. */
  | 'CNPAAS_API_KUBE_UNAVAILABLE'
  /** The registration did not finish within --registration-timeout. */
  | 'CNPAAS_API_TIMEOUT'
  /** The RegistrationRequest went away without the operator's result in its status. */
  | 'CNPAAS_API_DELETED_WITHOUT_RESULT'
  /** The result was lost: the watch expired (410) and the RegistrationRequest is gone. */
  | 'CNPAAS_API_RESULT_LOST'
  /** Our own identity may not do what the flow needs (manifests/rbac.yaml not applied). */
  | 'CNPAAS_API_OWN_PERMISSION'
  /** A bug or an answer from the kube API that makes no sense. */
  | 'CNPAAS_API_INTERNAL';

export interface ApiServerErrorOptions extends ServiceErrorOptions {
  /** The Status to answer with when this error ends a request. */
  status?: KubeStatus;
}

export class ApiServerError extends ServiceError<ApiServerErrorCode> {
  static override readonly brand = Symbol.for('cnpaas.api-server.ApiServerError');
  override readonly name = 'ApiServerError';

  readonly status: KubeStatus | undefined;

  constructor(code: ApiServerErrorCode, message: string, options: ApiServerErrorOptions = {}) {
    super(code, message, options);
    this.status = options.status;
  }
}

/** The kit's failures (flags, certificate files, kubeconfig, listen) under this package's codes. */
export const kitError: ErrorFactory<'BAD_FLAG' | 'TLS' | 'KUBECONFIG' | 'LISTEN'> = (kind, message, options) =>
  new ApiServerError(`CNPAAS_API_${kind}`, message, options);
