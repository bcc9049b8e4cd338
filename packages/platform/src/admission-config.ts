/**
 * kube-apiserver's AdmissionConfiguration for the two webhook plugins: a
 * kubeconfig whose users, named by the webhook's host (and port), hold the
 * client certificate the apiserver presents to that webhook. The webhooks
 * admit only that certificate. `cnpaas up` writes one for its loopback
 * webhooks, scripts/kind one for the in-cluster Service.
 */
import { stringify } from 'yaml';

export interface WebhookClient {
  /** The webhook's host or host:port as the apiserver calls it (wildcards allowed, e.g. `*.ns.svc`). */
  host: string;
  cert: string;
  key: string;
}

/** The two files' contents; `kubeconfigPath` is where the apiserver will find the kubeconfig. */
export function admissionConfig(options: { kubeconfigPath: string; clients: WebhookClient[] }): {
  admissionConfiguration: string;
  kubeconfig: string;
} {
  const kubeconfig = stringify({
    apiVersion: 'v1',
    kind: 'Config',
    users: options.clients.map((c) => ({ name: c.host, user: { 'client-certificate': c.cert, 'client-key': c.key } })),
  });
  const configuration = {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'WebhookAdmissionConfiguration',
    kubeConfigFile: options.kubeconfigPath,
  };
  const admissionConfiguration = stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AdmissionConfiguration',
    plugins: [
      { name: 'ValidatingAdmissionWebhook', configuration },
      { name: 'MutatingAdmissionWebhook', configuration },
    ],
  });
  return { admissionConfiguration, kubeconfig };
}
