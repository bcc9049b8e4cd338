import type { KubeConfig } from '@kubernetes/client-node';

/** A test control plane, as far as this needs it: it issues a kubeconfig file for any identity of its CA. */
export interface KubeconfigIssuer {
  kubeconfigFor(user: string): Promise<string>;
}

/**
 * The kubeconfig a test control plane issues for `user`, loaded: a live test
 * runs a component as that identity to find out whether its RBAC is enough.
 * client-node is imported on the first call, so the tests that load this
 * entry point for certificates alone do not wait for it.
 */
export async function userKubeConfig(cp: KubeconfigIssuer, user: string): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(await cp.kubeconfigFor(user));
  return kc;
}
