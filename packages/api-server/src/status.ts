/**
 * `metav1.Status`, the one error body of this server. kubectl prints
 * `message`; client-go maps `reason` and `code` to its `errors.Is*`
 * helpers, so both must be the ones kube-apiserver would use for the
 * same situation (k8s.io/apimachinery/pkg/apis/meta/v1 StatusReason*).
 */
import { ApiServerError, type ApiServerErrorCode } from './errors.js';

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

export interface StatusCause {
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
  causes?: StatusCause[];
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

export interface FailureOptions {
  code: number;
  message: string;
  reason?: StatusReason;
  details?: StatusDetails;
}

export function failure(options: FailureOptions): KubeStatus {
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

/** An `ApiServerError` that answers with a Status built from the same message. */
export function httpError(
  code: ApiServerErrorCode,
  options: FailureOptions & { hint?: string; cause?: unknown },
): ApiServerError {
  const message = options.hint ? `${options.message}; ${options.hint}` : options.message;
  return new ApiServerError(code, options.message, {
    ...(options.hint ? { hint: options.hint } : {}),
    status: failure({ ...options, message }),
    cause: options.cause,
  });
}

/** True for a JSON value shaped like a Status (what kube-apiserver sends with every error). */
export function isStatus(value: unknown): value is Partial<KubeStatus> & { kind: 'Status' } {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}
