/**
 * The demo's HTTPTrigger and its delivery Secret as `cnpaas install` puts
 * them into a cluster: the functions package's own files, and the values
 * that fill their placeholders (the function's in-cluster URL, the serving
 * CA, the delivery client certificate).
 */
import { emailTriggerVars, manifestPath, TRIGGER_MANIFESTS } from '@cnpaas/functions';

export interface ClusterDemoTriggerOptions {
  /** The namespace the email function's Service is in. */
  namespace: string;
  servingCaPem: string;
  delivery: { certPem: string; keyPem: string };
}

export function clusterDemoTrigger(options: ClusterDemoTriggerOptions): {
  files: string[];
  vars: Record<string, string>;
} {
  return {
    files: [manifestPath(TRIGGER_MANIFESTS.deliverySecret), manifestPath(TRIGGER_MANIFESTS.emailTrigger)],
    vars: emailTriggerVars({
      functionBaseUrl: `https://cnpaas-email-function.${options.namespace}.svc`,
      caPem: options.servingCaPem,
      delivery: options.delivery,
    }),
  };
}
