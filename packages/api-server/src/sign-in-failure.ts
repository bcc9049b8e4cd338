/**
 * What a failed kube call during a verification or a sign-in becomes. Most
 * of what those flows read this server may read only through the Role
 * `<user>-api-server` the operator makes per User, so a 403 right after a
 * registration means "not yet", not "never": 503 with Retry-After, naming
 * the Role. Anything else unexpected is the kube API being unavailable.
 * Refusals the flows decide themselves (ApiServerError) pass through.
 */
import { KubeApiError } from '@cnpaas/kube';
import { ApiServerError, errorMessage } from './errors.js';
import { httpError } from './status.js';

export function signInFailure(err: unknown, doing: string): ApiServerError {
  if (err instanceof ApiServerError) return err;
  if (err instanceof KubeApiError && (err.code === 401 || err.code === 403)) {
    return httpError('CNPAAS_API_OWN_PERMISSION', {
      code: 503,
      message: `cnpaas-api-server may not ${doing} (${err.code}: ${err.status?.message ?? err.message})`,
      hint: 'the operator grants it per User (Role <user>-api-server) once it has handled the User: retry in a moment; if it persists, check the operator and packages/api-server/manifests/rbac.yaml',
      details: { retryAfterSeconds: 2 },
      cause: err,
    });
  }
  return kubeUnavailable(err, doing);
}

/** The kube API failed, for a reason retrying may cure: 503 (or 504, a timeout) with Retry-After. */
export function kubeApiUnavailable(
  err: unknown,
  answer: { code?: 503 | 504; message: string; hint: string },
): ApiServerError {
  const { code = 503, message, hint } = answer;
  return httpError('CNPAAS_API_KUBE_UNAVAILABLE', {
    code,
    message,
    hint,
    details: { retryAfterSeconds: 2 },
    cause: err,
  });
}

/** The kube API failed while `doing` something (any flow's kube call). */
export function kubeUnavailable(err: unknown, doing: string): ApiServerError {
  return kubeApiUnavailable(err, {
    message: `the kube API failed while ${doing}: ${errorMessage(err)}`,
    hint: 'retry in a moment; if it persists, check that kube-apiserver is reachable from cnpaas-api-server',
  });
}

/** Runs one kube call of a sign-in flow, turning its failure into the answer above. */
export async function kubeStep<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw signInFailure(err, doing);
  }
}
