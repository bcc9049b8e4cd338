/**
 * Loads the kubeconfig a process was given (flags.ts `Flags.kubeconfig`).
 *
 * Its own entry point, `@cnpaas/service-kit/kubeconfig`, not part of the
 * package root: client-node takes half a second to load, and `--help` or a
 * flag error should not wait for it.
 */
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { errorMessage, type ErrorFactory } from './errors.js';
import type { KubeconfigSource } from './flags.js';

export interface LoadKubeConfigOptions {
  /** What to do when the file cannot be loaded, e.g. "pass --kubeconfig with the webhooks' kubeconfig from cnpaas up". */
  hint: string;
  error: ErrorFactory<'KUBECONFIG'>;
}

/**
 * Where a pod's filesystem root is, for the in-cluster files
 * (`<root>/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}`).
 * Unset in a pod. Set only to run a container's command outside its
 * container with the environment its pod would have (the in-cluster test).
 */
export const POD_ROOT_ENV = 'CNPAAS_POD_ROOT';

export function loadKubeConfig(source: KubeconfigSource, options: LoadKubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  const name = source.kubeconfig ?? '(in-cluster)';
  try {
    if (source.inCluster) kc.loadFromCluster(process.env[POD_ROOT_ENV] ?? '');
    else if (source.kubeconfig!.includes(delimiter)) {
      // client-node merges a list of files like kubectl does, but only one it reads from the environment.
      process.env['KUBECONFIG'] = source.kubeconfig;
      kc.loadFromDefault();
    } else kc.loadFromFile(source.kubeconfig!);
  } catch (err) {
    throw options.error('KUBECONFIG', `cannot load kubeconfig ${name}: ${errorMessage(err)}`, {
      hint: options.hint,
      cause: err,
    });
  }
  if (!kc.getCurrentCluster()) {
    throw options.error('KUBECONFIG', `kubeconfig ${name} has no current cluster`, {
      hint: 'set current-context in it',
    });
  }
  return kc;
}
