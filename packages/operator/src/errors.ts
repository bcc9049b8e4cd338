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
  /** Options that cannot work together (e.g. renewDeadline ≥ leaseDuration). */
  | 'CNPAAS_OPERATOR_INVALID_CONFIG'
  /** The kubeconfig has no current cluster. */
  | 'CNPAAS_OPERATOR_NO_CLUSTER'
  /** An owner object lacks apiVersion, kind, name or uid. */
  | 'CNPAAS_OPERATOR_OWNER_INVALID'
  /** The object already has a different controller owner. */
  | 'CNPAAS_OPERATOR_ALREADY_OWNED'
  /** A namespaced owner was given to an object in another namespace or a cluster-scoped one. */
  | 'CNPAAS_OPERATOR_CROSS_NAMESPACE_OWNER'
  /** The leader Lease could not be renewed in time; the process should exit and restart. */
  | 'CNPAAS_OPERATOR_LEADERSHIP_LOST'
  /** The informer caches did not sync before the deadline. */
  | 'CNPAAS_OPERATOR_CACHE_SYNC_TIMEOUT'
  /** The resource version is too old (HTTP 410 Gone); the informer relists. */
  | 'CNPAAS_OPERATOR_GONE'
  /** The apiserver sent something that is not a watch event or list. */
  | 'CNPAAS_OPERATOR_BAD_RESPONSE'
  /** The component was already started or already stopped. */
  | 'CNPAAS_OPERATOR_LIFECYCLE'
  /** A command-line flag or environment variable is missing or malformed. */
  | 'CNPAAS_OPERATOR_BAD_FLAG'
  /** The kubeconfig cannot be read or has no current cluster. */
  | 'CNPAAS_OPERATOR_KUBECONFIG'
  /** The health/metrics server cannot listen on the requested address. */
  | 'CNPAAS_OPERATOR_LISTEN'
  /** An EmailTemplate does not parse, or names a placeholder the data lacks. */
  | 'CNPAAS_OPERATOR_TEMPLATE'
  /** An object read from the API lacks something the flow needs (a UID, a spec). */
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

/** 410 Gone (or our own CNPAAS_OPERATOR_GONE): the resourceVersion was compacted away. */
export function isGone(err: unknown): boolean {
  return httpStatusOf(err) === 410 || (err instanceof OperatorError && err.code === 'CNPAAS_OPERATOR_GONE');
}

/** A one-line description of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  if (err instanceof OperatorError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
