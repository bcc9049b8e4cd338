/**
 * The error registry of @cnpaas/kube, the controller runtime.
 *
 * - `KubeError`: a misuse or an unrecoverable state of the runtime, with a
 *   stable `CNPAAS_KUBE_*` code and a hint that says what to do.
 * - `TerminalError`: thrown by a reconciler to say "retrying will not help";
 *   the controller logs it and does not requeue (controller-runtime's
 *   `reconcile.TerminalError`).
 * - `httpStatusOf` and friends read the HTTP status out of the errors that
 *   `@kubernetes/client-node` throws, whose shapes differ by call path.
 *
 * Classes use `Symbol.for` brands so `instanceof` also holds across two copies
 * of this package (the undici pattern): a service may bundle its own copy.
 * `KubeError` is made from the table of codes below by @cnpaas/service-kit's
 * `defineErrors` (so are the code union and docs/errors.md): a
 * `ServiceError`, with its brand, `describe()` and `hint`.
 */
import { defineErrors, ServiceError } from '@cnpaas/service-kit';
import { ApiException } from '@kubernetes/client-node';

export class KubeError extends defineErrors({
  package: 'kube',
  name: 'KubeError',
  prefix: 'CNPAAS_KUBE_',
  base: ServiceError,
  codes: {
    CNPAAS_KUBE_INVALID_CONFIG: {
      meaning:
        'Options that cannot work together (e.g. renewDeadline ≥ leaseDuration), or a runtime part built without what it needs (a kubeConfig, a unique controller name).',
      fix: 'Correct the options the message names; the defaults work unless there is a reason to change them.',
    },
    CNPAAS_KUBE_NO_CLUSTER: {
      meaning: 'The kubeconfig has no current cluster.',
      fix: 'Set current-context in the kubeconfig, or pass one with a cluster.',
    },
    CNPAAS_KUBE_OWNER_INVALID: {
      meaning: 'An owner object lacks apiVersion, kind, name or uid.',
      fix: 'Use the owner as read from the API (the cache or a GET), not a locally built object.',
    },
    CNPAAS_KUBE_ALREADY_OWNED: {
      meaning: 'The object already has a different controller owner.',
      fix: 'Do not adopt an object another controller owns: an object has one controller.',
    },
    CNPAAS_KUBE_CROSS_NAMESPACE_OWNER: {
      meaning: 'A namespaced owner was given to an object in another namespace or a cluster-scoped one.',
      fix: 'Give cluster-scoped objects a cluster-scoped owner, and namespaced ones an owner in the same namespace.',
    },
    CNPAAS_KUBE_LEADERSHIP_LOST: {
      meaning: 'The leader Lease could not be renewed in time; the process should exit and restart.',
      fix: "Let the supervisor restart the process; if it recurs, check the apiserver's reachability and latency.",
    },
    CNPAAS_KUBE_CACHE_SYNC_TIMEOUT: {
      meaning: 'The informer caches did not sync before the deadline.',
      fix: 'Check that the CRDs are installed and that RBAC allows list and watch on every watched resource.',
    },
    CNPAAS_KUBE_CONDITION_TIMEOUT: {
      meaning: 'awaitCondition gave up: the object did not reach the condition within its timeout.',
      fix: 'Check what the object reports (kubectl get -o yaml) and whether the controller that should act on it runs.',
    },
    CNPAAS_KUBE_BAD_RESPONSE: {
      meaning: 'The apiserver sent something that is not a watch event or list.',
      fix: 'Check that the kubeconfig points at a kube-apiserver (not a proxy that rewrites answers); the informer retries.',
    },
    CNPAAS_KUBE_LIFECYCLE: {
      meaning: 'The component was already started or already stopped.',
      fix: 'Create every informer and controller before start(), and a new Manager to run again.',
    },
    CNPAAS_KUBE_CODEGEN: {
      meaning:
        'The CRD code generator could not run: a file that is not a CustomResourceDefinition it can read (no group, scope, kind, plural, served version or schema), or Prettier, which formats its output, is not installed.',
      fix: 'Correct the CRD file the message names; for the formatter, install prettier as a devDependency (npm install -D prettier).',
    },
  },
}) {}
export type KubeErrorCode = KubeError['code'];

const terminalErrorBrand = Symbol.for('cnpaas.kube.TerminalError');

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

/** A one-line description of any thrown value, for logs: a coded error (any package's) with its code and hint. */
export function errorMessage(err: unknown): string {
  if (err instanceof ServiceError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
