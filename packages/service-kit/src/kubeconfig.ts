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

export function loadKubeConfig(source: KubeconfigSource, options: LoadKubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  const name = source.kubeconfig ?? '(in-cluster)';
  try {
    if (source.inCluster) kc.loadFromCluster();
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
