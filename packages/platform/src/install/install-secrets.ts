/**
 * The per-install values `cnpaas install` makes: a CA of its own and the
 * serving certificate it signs for each Service the services list, copies of
 * the two CAs the cluster owns (the front proxy's, for aggregated APIs, and
 * the one that signs kube-apiserver's webhook client certificate), and each
 * service's own values from its cluster part (cluster-context.ts).
 *
 * Everything lives in the cluster, as Secrets and ConfigMaps in the services'
 * namespace (their cluster parts name it), so running install again reuses
 * it: a certificate is re-issued only when it is missing, near expiry or
 * names other hosts, and a password never changes.
 * The CA's key is handled in a private temporary directory that is removed
 * before this returns (the CA class works on files).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ServiceClusterPart, ServingSecret } from '@cnpaas/service-kit';
import { encodeCaBundle, type ManifestObject } from '@cnpaas/service-kit/manifests';
import { PlatformError } from '../errors.js';
import { servingDnsNames } from './cert-manager.js';
import type { Cluster } from './cluster.js';
import { clusterPartObjects } from './cluster-context.js';
import { keptCa, keptCertificate, secret } from './kept-pki.js';

export interface InstallSecrets {
  /** Secrets, ConfigMaps and the services' custom resources, to apply with the Deployments. */
  objects: ManifestObject[];
  /** PEM of the CA that signed every serving certificate: the caBundle of webhooks, APIServices and triggers. */
  servingCaPem: string;
  /** Names the aggregator's front-proxy certificate may carry; empty: the API server's default. */
  frontProxyAllowedNames: string[];
}

export interface InstallSecretsOptions {
  cluster: Cluster;
  /** The services' cluster parts, in order. */
  parts: readonly ServiceClusterPart[];
  /** Where the Secrets and ConfigMaps go: the parts' namespace. */
  namespace: string;
  /** PEM of the CA that signs kube-apiserver's webhook client certificate. */
  webhookClientCaPem: string;
  /** cert-manager issues the serving certificates (cert-manager.ts): its CA's PEM; install then makes none. */
  servingCaPem?: string | undefined;
}

type ConfigMapObject = { data?: Record<string, string> };

function configMap(namespace: string, name: string, data: Record<string, string>): ManifestObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** Every Service the parts list, with the Secret its pods mount. */
export function servingSecrets(parts: readonly ServiceClusterPart[]): ServingSecret[] {
  return parts.flatMap((p) => p.serving);
}

/** `pem` as given, once every certificate in it parses (the kit's caBundle check), else an error naming `what`. */
function checkPem(pem: string, what: string): string {
  encodeCaBundle(
    pem,
    (_kind, message, options) =>
      new PlatformError('CNPAAS_PLATFORM_INSTALL', `${what} is not a PEM CA certificate: ${message}`, {
        hint: 'pass the CA certificate file (-----BEGIN CERTIFICATE-----...)',
        cause: options.cause,
      }),
  );
  return pem;
}

/** Install's own serving CA and a certificate per Service, as Secrets into `objects`; returns the CA's PEM. */
async function issueServing(options: {
  cluster: Cluster;
  dir: string;
  namespace: string;
  serving: readonly ServingSecret[];
  objects: ManifestObject[];
}): Promise<string> {
  const { cluster, dir, namespace, objects } = options;
  const serving = await keptCa({
    cluster,
    dir,
    secret: { namespace, name: 'cnpaas-install-ca' },
    commonName: 'cnpaas install CA',
  });
  objects.push(serving.object);
  for (const { secret: name, service } of options.serving) {
    const ref = { namespace, name };
    const pair = await keptCertificate({
      ca: serving.ca,
      cluster,
      dir,
      secret: ref,
      // Also localhost (in servingDnsNames): a component's command run outside its pod, beside a local
      // control plane (the in-cluster test), is reached by that name. Only this install's CA vouches for it.
      spec: { name, commonName: service, dnsNames: servingDnsNames({ service, namespace }), usage: 'server' },
    });
    objects.push(secret(ref, { 'tls.crt': pair.certPem, 'tls.key': pair.keyPem }, 'kubernetes.io/tls'));
  }
  return serving.certPem;
}

/** What the parts will add, made without reading the cluster: for the check before anything is written. */
export async function partObjectsPreview(
  parts: readonly ServiceClusterPart[],
  namespace: string,
): Promise<ManifestObject[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cnpaas-install-'));
  try {
    return await clusterPartObjects({ parts, namespace, cluster: undefined, dir, servingCaPem: '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function installSecrets(options: InstallSecretsOptions): Promise<InstallSecrets> {
  const { cluster, parts, namespace } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'cnpaas-install-'));
  try {
    const objects: ManifestObject[] = [];
    const servingCaPem =
      options.servingCaPem ??
      (await issueServing({ cluster, dir, namespace, serving: servingSecrets(parts), objects }));
    objects.push(...(await clusterPartObjects({ parts, namespace, cluster, dir, servingCaPem })));
    objects.push(
      configMap(namespace, 'cnpaas-apiserver-webhook-client-ca', {
        'ca.crt': checkPem(options.webhookClientCaPem, '--webhook-client-ca'),
      }),
    );

    const auth = await cluster.get<ConfigMapObject>(
      '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication',
    );
    const frontProxyCa = auth?.data?.['requestheader-client-ca-file'];
    if (!frontProxyCa) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_INSTALL',
        'the cluster has no front-proxy CA (kube-system/extension-apiserver-authentication has no requestheader-client-ca-file), so no aggregated API can authenticate the apiserver',
        {
          hint: 'start kube-apiserver with --requestheader-client-ca-file and --proxy-client-cert-file (kubeadm and kind do)',
        },
      );
    }
    objects.push(configMap(namespace, 'cnpaas-front-proxy-ca', { 'ca.crt': frontProxyCa }));
    const names = auth?.data?.['requestheader-allowed-names'];
    const frontProxyAllowedNames = names ? (JSON.parse(names) as string[]) : [];

    return { objects, servingCaPem, frontProxyAllowedNames };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
