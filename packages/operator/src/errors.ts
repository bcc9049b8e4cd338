/**
 * The error registry of the operator package.
 *
 * - `OperatorError`: a misuse or an unrecoverable state of the runtime, with a
 *   stable `CNPAAS_OPERATOR_*` code and a hint that says what to do.
 * - `TerminalError`: thrown by a reconciler to say "retrying will not help";
 *   the controller logs it and does not requeue (controller-runtime's
 *   `reconcile.TerminalError`).
 * - `httpStatusOf` and friends read the HTTP status out of the errors that
 *   `@kubernetes/client-node` throws, whose shapes differ by call path.
 *
 * Classes use `Symbol.for` brands so `instanceof` also holds across two copies
 * of this package (the undici pattern): a service may bundle its own copy.
 * `OperatorError` gets its brand, `describe()` and `hint` from
 * @cnpaas/service-kit's `ServiceError`.
 */
import { ServiceError, type ErrorFactory } from '@cnpaas/service-kit';
import { ApiException } from '@kubernetes/client-node';

export type OperatorErrorCode =
  /**
   * Options that cannot work together (e.g. renewDeadline ≥ leaseDuration).
   * @fix Correct the options the message names; the defaults work unless there is a reason to change them.
   */
  | 'CNPAAS_OPERATOR_INVALID_CONFIG'
  /**
   * The kubeconfig has no current cluster.
   * @fix Set current-context in the kubeconfig, or pass one with a cluster.
   */
  | 'CNPAAS_OPERATOR_NO_CLUSTER'
  /**
   * An owner object lacks apiVersion, kind, name or uid.
   * @fix Use the owner as read from the API (the cache or a GET), not a locally built object.
   */
  | 'CNPAAS_OPERATOR_OWNER_INVALID'
  /**
   * The object already has a different controller owner.
   * @fix Do not adopt an object another controller owns: an object has one controller.
   */
  | 'CNPAAS_OPERATOR_ALREADY_OWNED'
  /**
   * A namespaced owner was given to an object in another namespace or a cluster-scoped one.
   * @fix Give cluster-scoped objects a cluster-scoped owner, and namespaced ones an owner in the same namespace.
   */
  | 'CNPAAS_OPERATOR_CROSS_NAMESPACE_OWNER'
  /**
   * The leader Lease could not be renewed in time; the process should exit and restart.
   * @fix Let the supervisor restart the operator; if it recurs, check the apiserver's reachability and latency.
   */
  | 'CNPAAS_OPERATOR_LEADERSHIP_LOST'
  /**
   * The informer caches did not sync before the deadline.
   * @fix Check that the CRDs are installed and that RBAC allows list and watch on every watched resource.
   */
  | 'CNPAAS_OPERATOR_CACHE_SYNC_TIMEOUT'
  /**
   * The apiserver sent something that is not a watch event or list.
   * @fix Check that --kubeconfig points at a kube-apiserver (not a proxy that rewrites answers); the informer retries.
   */
  | 'CNPAAS_OPERATOR_BAD_RESPONSE'
  /**
   * The component was already started or already stopped.
   * @fix Create every informer and controller before start(), and a new Manager to run again.
   */
  | 'CNPAAS_OPERATOR_LIFECYCLE'
  /**
   * A command-line flag or environment variable is missing or malformed.
   * @fix Run cnpaas-operator --help for the flags and their CNPAAS_OPERATOR_* variables, and correct the one named.
   */
  | 'CNPAAS_OPERATOR_BAD_FLAG'
  /**
   * The kubeconfig cannot be read or has no current cluster.
   * @fix Pass --kubeconfig (or KUBECONFIG) with the operator's kubeconfig from cnpaas up, with current-context set.
   */
  | 'CNPAAS_OPERATOR_KUBECONFIG'
  /**
   * The health/metrics server cannot listen on the requested address.
   * @fix Free the port, or pass another --listen-health HOST:PORT.
   */
  | 'CNPAAS_OPERATOR_LISTEN'
  /**
   * An EmailTemplate does not parse, or names a placeholder the data lacks.
   * @fix Fix the EmailTemplate as its Valid condition and events say (they list the placeholders available), and keep
   * it and the rendered body within the size limits; registrations wait for it, then continue.
   */
  | 'CNPAAS_OPERATOR_TEMPLATE'
  /**
   * An object read from the API lacks something the flow needs (a UID, a spec).
   * @fix Pass objects as read from the API (the cache or a GET): only those carry a UID.
   */
  | 'CNPAAS_OPERATOR_BAD_OBJECT';

const terminalErrorBrand = Symbol.for('cnpaas.operator.TerminalError');

export class OperatorError extends ServiceError<OperatorErrorCode> {
  static override readonly brand = Symbol.for('cnpaas.operator.OperatorError');
  override readonly name = 'OperatorError';
}

/** The kit's failures (flags, kubeconfig, the health server's listen) under this package's codes. */
export const kitError: ErrorFactory<'BAD_FLAG' | 'KUBECONFIG' | 'LISTEN'> = (kind, message, options) =>
  new OperatorError(`CNPAAS_OPERATOR_${kind}`, message, options);

/**
 * Thrown from `reconcile` when retrying cannot succeed (a spec that can never
 * be satisfied, a name conflict the user must resolve). Logged and counted,
 * never requeued; the next change to the object triggers a new reconcile.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly [terminalErrorBrand] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && terminalErrorBrand in value;
  }
}

/**
 * The HTTP status of a failed Kubernetes call, whatever threw it:
 * generated APIs throw `ApiException` (`code`), `Watch` throws a plain Error
 * with `statusCode`, and a watch ERROR event carries a `Status` with `code`.
 */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; code?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.code === 'number') return e.code;
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return httpStatusOf(err) === 404;
}

/** 409: an update lost an optimistic-concurrency race, or a create found the name taken. */
export function isConflict(err: unknown): boolean {
  return httpStatusOf(err) === 409;
}

/** 410 Gone: the resourceVersion was compacted away. */
export function isGone(err: unknown): boolean {
  return httpStatusOf(err) === 410;
}

/** A one-line description of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  if (err instanceof OperatorError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
