/**
 * `metav1.Status`, the error body of a server behind kube-apiserver's
 * aggregator. kubectl prints `message`; client-go maps `reason` and `code`
 * to its `errors.Is*` helpers, so both must be the ones kube-apiserver would
 * use for the same situation (k8s.io/apimachinery/pkg/apis/meta/v1
 * StatusReason*).
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | (string & {});

/** One field problem of a Status; `field` is unset for a problem of the whole body. */
export interface KubeStatusCause {
  /** e.g. FieldValueRequired, FieldValueInvalid, FieldValueTooLong, FieldValueNotSupported. */
  reason: string;
  message: string;
  /** JSON-path-like field name, e.g. spec.user.email. */
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: KubeStatusCause[];
  retryAfterSeconds?: number;
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason;
  code: number;
  details?: StatusDetails;
}

/** The reason kube-apiserver uses for a bare HTTP code (apimachinery's NewGenericServerResponse). */
export function reasonForCode(code: number): StatusReason {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 413:
      return 'RequestEntityTooLarge';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return code >= 500 ? 'InternalError' : 'BadRequest';
  }
}

export interface KubeFailureOptions {
  code: number;
  message: string;
  reason?: StatusReason;
  details?: StatusDetails;
}

/** A Failure Status; the reason from the code unless given. */
export function kubeFailure(options: KubeFailureOptions): KubeStatus {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: options.message,
    reason: options.reason ?? reasonForCode(options.code),
    code: options.code,
  };
  if (options.details) status.details = options.details;
  return status;
}
