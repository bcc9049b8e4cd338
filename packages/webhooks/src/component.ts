/**
 * The component descriptor of the webhooks (docs/design.md "Contracts between
 * packages"): what the platform's one supervisor needs to run this package
 * (command, env, health URL), which manifests to apply when, and which
 * certificates its PKI must issue. A plain object; the platform decides
 * paths and ports and passes them in. The `afterReady` manifests are the
 * webhook configurations, rendered with `renderWebhookConfigurations` (URL,
 * CA bundle).
 */
import {
  APISERVER_WEBHOOK_CLIENT_NAME,
  mtlsProcess,
  type ComponentDescriptor,
  type MtlsComponentOptions,
} from '@cnpaas/service-kit';
import { MANIFEST_FILES, manifestPath } from './manifests.js';

/** The CN of the webhooks' own client certificate; manifests/rbac.yaml binds it. */
export const WEBHOOKS_CLIENT_NAME = 'cnpaas-webhooks';
/** The CN the webhooks accept from kube-apiserver's webhook client certificate (the platform's contract). */
export { APISERVER_WEBHOOK_CLIENT_NAME };

/** `clientCaFile`: the CA of kube-apiserver's webhook client certificate; `kubeconfig`: the cnpaas-webhooks identity. */
export type WebhooksComponentOptions = MtlsComponentOptions;

export function webhooksComponent(options: WebhooksComponentOptions): ComponentDescriptor {
  return {
    ...mtlsProcess('webhooks', {
      ...options,
      bin: new URL('../bin/cnpaas-webhooks.js', import.meta.url),
      allowedClientNames: [APISERVER_WEBHOOK_CLIENT_NAME],
    }),
    manifests: {
      beforeStart: [manifestPath(MANIFEST_FILES.rbac)],
      afterReady: [
        manifestPath(MANIFEST_FILES.mutatingWebhookConfiguration),
        manifestPath(MANIFEST_FILES.validatingWebhookConfiguration),
      ],
    },
    certificates: [
      {
        id: 'webhooks-serving',
        kind: 'serving',
        purpose:
          "the HTTPS certificate kube-apiserver checks when it calls the webhooks; its CA goes into the configurations' caBundle",
        commonName: 'cnpaas-webhooks',
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
      },
      {
        id: 'apiserver-webhook-client',
        kind: 'client',
        purpose:
          'presented by kube-apiserver to the webhooks (its --admission-control-config-file kubeConfigFile); signed by the CA in --client-ca-file',
        commonName: APISERVER_WEBHOOK_CLIENT_NAME,
      },
      {
        id: 'webhooks-client',
        kind: 'client',
        purpose:
          "the webhooks' identity towards kube-apiserver (email claims, user lookups), bound by manifests/rbac.yaml",
        commonName: WEBHOOKS_CLIENT_NAME,
      },
    ],
  };
}
