/**
 * The error registry of the platform. Every error that reaches the person
 * running `cnpaas` has a stable `CNPAAS_PLATFORM_*` code, says what went wrong
 * and what to do about it (its `hint`: what the person should do next). The
 * class, the code union and docs/errors.md come from the table below
 * (@cnpaas/service-kit's `defineErrors`).
 */
import { defineErrors, ServiceError } from '@cnpaas/service-kit';

export class PlatformError extends defineErrors({
  package: 'platform',
  name: 'PlatformError',
  prefix: 'CNPAAS_PLATFORM_',
  base: ServiceError,
  codes: {
    CNPAAS_PLATFORM_USAGE: {
      meaning:
        'The command line is wrong: an unknown command or flag, a bad value, or a name (component, mail id) that does not exist.',
      fix: 'Run cnpaas --help; for cnpaas logs pick a component it lists, for cnpaas mail an id cnpaas mail lists.',
    },
    CNPAAS_PLATFORM_BINARY_NOT_FOUND: {
      meaning:
        'No kube-apiserver, kube-controller-manager or kubectl of the pinned version was found, downloaded or built; the message lists every place tried and why each failed.',
      fix: 'Install Go 1.24+ so scripts/k8s/build.sh can build it, or allow access to dl.k8s.io, or point TEST_ASSET_KUBE_APISERVER (etc.) or KUBEBUILDER_ASSETS at binaries of the version in scripts/k8s/VERSION.',
    },
    CNPAAS_PLATFORM_PORT_IN_USE: {
      meaning: 'A fixed port the stack needs on 127.0.0.1 is taken.',
      fix: "Stop what listens there (ss -ltnp 'sport = :PORT'), or run cnpaas up --ports auto.",
    },
    CNPAAS_PLATFORM_STATE: {
      meaning:
        "The state directory (--state-dir, default .cnpaas) or a file in it cannot be used: not cnpaas's, not empty, unreadable, a socket path too long, or a manifest placeholder the platform does not provide.",
      fix: 'Give cnpaas a new or empty directory of its own with --state-dir (or CNPAAS_STATE_DIR), short enough for a socket path; run cnpaas down if a stale state file is left.',
    },
    CNPAAS_PLATFORM_PKI: {
      meaning: "A certificate or key in the state directory's PKI cannot be read or used.",
      fix: 'Remove the PKI (cnpaas down --purge) and run cnpaas up again to regenerate it.',
    },
    CNPAAS_PLATFORM_COMPONENT_FAILED: {
      meaning: 'A component of the stack exited or did not become ready, or applying its manifests failed.',
      fix: "Read the component's log (cnpaas logs NAME, or the file the message names), fix the cause and run cnpaas up again.",
    },
    CNPAAS_PLATFORM_NOT_RUNNING: {
      meaning:
        'The command needs a running stack (its kubeconfig or state) and there is none, or the stack lacks what was asked for (cnpaas console on a --control-plane-only stack, cnpaas pid for a component that is not running).',
      fix: 'Run cnpaas up first, with the same --state-dir (or CNPAAS_STATE_DIR); the message says what else to do.',
    },
    CNPAAS_PLATFORM_INSTALL: {
      meaning:
        "cnpaas install or uninstall could not finish: the kubeconfig or a CA file cannot be read, an overlay does not render, the cluster lacks a front-proxy CA, or applying or waiting failed (the message has kubectl's words).",
      fix: 'Do what the message says; install can be run again and continues where it stopped, uninstall removes what it applied.',
    },
    CNPAAS_PLATFORM_CLUSTER_UNREACHABLE: {
      meaning: "The kubeconfig's cluster does not answer.",
      fix: 'Check --kubeconfig and its current context: kubectl --kubeconfig FILE version must answer.',
    },
    CNPAAS_PLATFORM_CLUSTER_TOO_OLD: {
      meaning: 'The cluster does not serve an API the manifests use (ValidatingAdmissionPolicy, APIService, ...).',
      fix: 'Install into Kubernetes 1.30 or later, with the aggregation layer on.',
    },
    CNPAAS_PLATFORM_INSTALL_FORBIDDEN: {
      meaning:
        "The kubeconfig's user may not create or patch some of the objects install applies; the message lists each. Nothing was applied.",
      fix: 'Install as a cluster administrator, or grant the permissions the message lists.',
    },
    CNPAAS_PLATFORM_UNINSTALL_DATA: {
      meaning:
        "cnpaas uninstall found custom resources it did not install (the services' data) that deleting their CRDs would delete. Nothing was deleted.",
      fix: 'Back the data up or remove it, or pass --delete-data.',
    },
    CNPAAS_PLATFORM_SERVICE: {
      meaning:
        'A service named with cnpaas up --service cannot be loaded or does not export a valid composition, or two services clash: the same port name, component name, file name or store route; or cnpaas install is asked for services in different namespaces.',
      fix: 'Name a workspace package or a package directory whose built entry point exports `service: ServiceComposition` (build it first); rename what the message says two services share; install services of different namespaces with one cnpaas install each.',
    },
  },
}) {}
export type PlatformErrorCode = PlatformError['code'];

/** One line for humans: the message, then the hint. */
export function describeError(err: unknown): string {
  // cnpaas prints its own errors without their code, unlike a service's.
  if (err instanceof PlatformError) {
    return err.hint ? `${err.message}\n  fix: ${err.hint}` : err.message;
  }
  // A service's own command (say, cnpaas mail) fails with its package's coded error.
  if (err instanceof ServiceError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}
