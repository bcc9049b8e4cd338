/**
 * The component descriptor of the api-server (docs/design.md "Contracts between
 * packages"; the type is @cnpaas/service-kit's): what the platform's one
 * supervisor needs to run it (command, env, health URLs), which manifests to
 * apply when, and which certificates its PKI must issue. A plain object; the
 * platform decides paths and ports.
 *
 * After readyUrl answers 200 the platform applies `afterReady`, with the
 * APIService in its local form from `renderLocalApiService({ port, servingCaPem })`.
 * When the server stops for good it must delete APIService
 * v1.api.webshop.cnpaas.dev (APISERVICE_NAME): an unavailable APIService
 * blocks every namespace deletion.
 */
import {
  DEFAULT_REQUESTHEADER_ALLOWED_NAMES,
  listenAddress,
  listeningProcess,
  type ComponentDescriptor,
} from '@cnpaas/service-kit';
import { SERVICE_DNS_NAME, SERVICE_NAME } from './api-group.js';
import { API_SERVER_USER } from '@cnpaas/webshop-api';
import { MANIFEST_FILES, manifestPath } from './manifests.js';

/**
 * The CN of the api-server's own client certificate; manifests/rbac.yaml binds it, and the operator binds it
 * per User (the contract's name, so both agree).
 */
export const API_SERVER_CLIENT_NAME = API_SERVER_USER;
/** The ClusterRole that lets people register (manifests/registrant-clusterrole.yaml). */
export const REGISTRANT_CLUSTER_ROLE = 'cnpaas-registrant';

export interface ApiServerComponentOptions {
  /** Default 127.0.0.1: the aggregator dials localhost (ExternalName), and health/metrics are unauthenticated. */
  host?: string;
  port: number;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  /** The front-proxy CA: the same file as kube-apiserver's --requestheader-client-ca-file. */
  requestheaderClientCaFile: string;
  /** Default front-proxy-client: the CN of kube-apiserver's --proxy-client-cert-file. */
  requestheaderAllowedNames?: string[];
  /** Kubeconfig with the cnpaas-api-server client identity. */
  kubeconfig: string;
  /** Default 30. */
  registrationTimeoutSeconds?: number;
  logLevel?: string;
}

/** The committed launcher the descriptor runs; it imports the build. */
const LAUNCHER = new URL('../bin/cnpaas-api-server.js', import.meta.url);

export function apiServerComponent(options: ApiServerComponentOptions): ComponentDescriptor {
  const args = [
    '--listen',
    listenAddress(options),
    '--tls-cert-file',
    options.tlsCertFile,
    '--tls-private-key-file',
    options.tlsPrivateKeyFile,
    '--requestheader-client-ca-file',
    options.requestheaderClientCaFile,
    '--requestheader-allowed-names',
    (options.requestheaderAllowedNames ?? DEFAULT_REQUESTHEADER_ALLOWED_NAMES).join(','),
    '--kubeconfig',
    options.kubeconfig,
  ];
  if (options.registrationTimeoutSeconds !== undefined)
    args.push('--registration-timeout', `${options.registrationTimeoutSeconds}s`);
  return {
    ...listeningProcess('api-server', { ...options, bin: LAUNCHER, scheme: 'https', args }),
    manifests: {
      beforeStart: [manifestPath(MANIFEST_FILES.rbac), manifestPath(MANIFEST_FILES.registrantClusterRole)],
      afterReady: [manifestPath(MANIFEST_FILES.service), manifestPath(MANIFEST_FILES.apiService)],
    },
    certificates: [
      {
        id: 'api-server-serving',
        kind: 'serving',
        purpose:
          'the HTTPS certificate the aggregator verifies as ServerName cnpaas-api.cnpaas-system.svc (not the dialled localhost) against the APIService caBundle; its CA goes into CA_BUNDLE',
        commonName: SERVICE_NAME,
        dnsNames: [SERVICE_DNS_NAME, 'localhost'],
        ipAddresses: ['127.0.0.1'],
      },
      {
        id: 'api-server-client',
        kind: 'client',
        purpose:
          "the api-server's identity towards kube-apiserver (SubjectAccessReviews, RegistrationRequests), bound by manifests/rbac.yaml",
        commonName: API_SERVER_CLIENT_NAME,
      },
      {
        id: 'front-proxy-ca',
        kind: 'ca',
        purpose:
          "the CA of kube-apiserver's --proxy-client-cert-file (CN front-proxy-client): the same file as its --requestheader-client-ca-file, passed as --requestheader-client-ca-file; never the cluster CA",
      },
    ],
  };
}
