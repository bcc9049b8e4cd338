/**
 * What `cnpaas install` applies: an overlay under deploy/ rendered by
 * Kustomize, then the values only the target cluster knows set on the parsed
 * objects (never by text): the image registry, the serving CA as each
 * webhook's and the APIService's caBundle, the apiserver's addresses in the
 * NetworkPolicies and the front proxy's names. The overlay is the
 * service's (its cluster part's `deployDir`).
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { parseManifests, type ManifestObject } from '@cnpaas/service-kit/manifests';
import { PlatformError } from '../errors.js';
import type { Cluster } from './cluster.js';
import { APISERVER_PLACEHOLDER_CIDR, IMAGE_PREFIX, type Overlay } from './names.js';

/** `<deployDir>/overlays/<overlay>`, rendered by Kustomize. */
export async function renderOverlay(cluster: Cluster, overlay: Overlay, deployDir: string): Promise<ManifestObject[]> {
  const dir = path.join(deployDir, 'overlays', overlay);
  const res = await cluster.kubectl(['kustomize', dir]);
  if (res.code !== 0) {
    throw new PlatformError('CNPAAS_PLATFORM_INSTALL', `kubectl kustomize ${dir} failed: ${res.stderr.trim()}`, {
      hint: 'fix the overlay; `kubectl kustomize DIR` shows the same error',
    });
  }
  return parseManifests(res.stdout, dir);
}

export interface ClusterValues {
  /** Replaces the `cnpaas/` of every image, e.g. registry.example.com/team. */
  imageRegistry?: string | undefined;
  /** PEM of the CA that signed the serving certificates. */
  servingCaPem: string;
  /** The addresses kube-apiserver calls from (its endpoints), as CIDRs. */
  apiserverCidrs: string[];
  /** requestheader-allowed-names of the cluster; empty keeps the API server's flag as rendered. */
  frontProxyAllowedNames: string[];
}

type PodTemplate = { spec: { template: { spec: { containers: Array<{ image: string; args?: string[] }> } } } };
type IngressRule = { from?: Array<{ ipBlock?: { cidr: string } }> };

export function setClusterValues(objects: readonly ManifestObject[], values: ClusterValues): ManifestObject[] {
  const caBundle = Buffer.from(values.servingCaPem, 'utf8').toString('base64');
  if (values.apiserverCidrs.length === 0) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_INSTALL',
      'the apiserver publishes no endpoint addresses (no EndpointSlice of Service default/kubernetes), and the kubeconfig names it by host name',
      { hint: 'check the cluster: kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes' },
    );
  }
  return objects.map((original) => {
    const o = structuredClone(original);
    switch (o.kind) {
      case 'Deployment': {
        for (const c of (o as unknown as PodTemplate).spec.template.spec.containers) {
          if (values.imageRegistry && c.image.startsWith(IMAGE_PREFIX)) {
            c.image = `${values.imageRegistry.replace(/\/+$/, '')}/${c.image.slice(IMAGE_PREFIX.length)}`;
          }
          const at = c.args?.indexOf('--requestheader-allowed-names') ?? -1;
          if (at >= 0 && values.frontProxyAllowedNames.length > 0) {
            c.args![at + 1] = values.frontProxyAllowedNames.join(',');
          }
        }
        break;
      }
      case 'MutatingWebhookConfiguration':
      case 'ValidatingWebhookConfiguration':
        for (const w of o['webhooks'] as Array<{ clientConfig: Record<string, unknown> }>)
          w.clientConfig['caBundle'] = caBundle;
        break;
      case 'APIService':
        (o['spec'] as Record<string, unknown>)['caBundle'] = caBundle;
        break;
      case 'NetworkPolicy': {
        const ingress = (o['spec'] as { ingress?: IngressRule[] }).ingress ?? [];
        for (const rule of ingress) {
          if (!rule.from?.some((f) => f.ipBlock?.cidr === APISERVER_PLACEHOLDER_CIDR)) continue;
          rule.from = [
            ...rule.from.filter((f) => f.ipBlock?.cidr !== APISERVER_PLACEHOLDER_CIDR),
            ...values.apiserverCidrs.map((cidr) => ({ ipBlock: { cidr } })),
          ];
        }
        break;
      }
    }
    return o;
  });
}

/**
 * The addresses kube-apiserver calls webhooks from, as /32 or /128 CIDRs: its
 * endpoints (the EndpointSlices of Service default/kubernetes). A control
 * plane that publishes none (cnpaas up, whose apiserver is on loopback, runs
 * without the endpoint reconciler) gives the kubeconfig's server address
 * when that is an IP.
 */
export async function apiserverCidrs(cluster: Cluster): Promise<string[]> {
  const slices = await cluster.get<{ items: Array<{ endpoints?: Array<{ addresses: string[] }> }> }>(
    '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes',
  );
  let ips = (slices?.items ?? []).flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses));
  if (ips.length === 0) {
    const host = new URL(cluster.server).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) ips = [host];
  }
  return [...new Set(ips)].map((ip) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`));
}
