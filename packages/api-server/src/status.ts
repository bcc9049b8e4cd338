/**
 * `metav1.Status`, the one error body of this server (the type and its
 * reasons are @cnpaas/service-kit's `kube-status.ts`), and the package's
 * errors that answer with one.
 */
import {
  kubeFailure as failure,
  type KubeFailureOptions as FailureOptions,
  type KubeStatus,
} from '@cnpaas/service-kit';
import { ApiServerError, type ApiServerErrorCode } from './errors.js';

export {
  reasonForCode,
  kubeFailure as failure,
  type KubeFailureOptions as FailureOptions,
  type KubeStatus,
  type KubeStatusCause as StatusCause,
  type StatusDetails,
  type StatusReason,
} from '@cnpaas/service-kit';

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
