/**
 * What a kind cluster on cnpaas-store needs before `kind create cluster`
 * (`cnpaas kind-config`, called by scripts/kind/up.sh):
 *
 *   ca/store-ca.*                       signs the store's serving certificate and its one client's
 *   ca/webhook-client-ca.*              signs the certificate kube-apiserver presents to webhooks
 *   node/store-ca.crt, webhook-client-ca.crt   the two CA certificates (no keys)
 *   node/apiserver-etcd-client.*        kube-apiserver's client certificate towards the store
 *   node/apiserver-webhook-client.*     its client certificate towards the webhooks
 *   node/admission-control.yaml         kube-apiserver's AdmissionConfiguration, naming:
 *   node/webhook-client.kubeconfig      the client certificate per webhook host
 *   store/store.*, store-ca.crt         the store container's serving certificate (the DNS name of
 *                                       the container) and the CA its clients' certificates need
 *   kind-config.yaml                    the cluster: node image, node/ mounted at /etc/cnpaas in the
 *                                       node, kubeadm patched to external etcd (the store, mTLS) and
 *                                       to the admission configuration
 *
 * kind runs kube-apiserver as a static pod in the node container: every path
 * the apiserver reads is under /etc/cnpaas, the node's mount of node/, and
 * kubeadm's extraVolumes mounts it into the pod. The CA keys stay in ca/,
 * which nothing mounts.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { APISERVER_WEBHOOK_CLIENT_NAME, type ServiceClusterPart } from '@cnpaas/service-kit';
import { admissionConfig } from '../admission-config.js';
import { CertificateAuthority } from '../pki.js';

/** Where the node (and kube-apiserver's pod) sees the directory. */
export const NODE_DIR = '/etc/cnpaas';

/** The host of each admission webhook Service the services' cluster parts name: `<service>.<namespace>.svc`. */
export function webhookHosts(parts: readonly ServiceClusterPart[]): string[] {
  return parts.flatMap((p) => (p.admissionWebhooks ?? []).map((service) => `${service}.${p.namespace}.svc`));
}

export interface KindFilesOptions {
  /** Written here (created if missing); mounted into the node. */
  dir: string;
  /** The kind cluster's name. */
  clusterName: string;
  /** The store container's name on the kind network (its DNS name there). */
  storeHost: string;
  /** kindest/node image of the pinned Kubernetes version. */
  nodeImage: string;
  /** Where kube-apiserver presents its webhook client certificate (`webhookHosts` of the services). */
  webhookHosts: readonly string[];
}

export interface KindFiles {
  kindConfig: string;
  /** The CA to give `cnpaas install --webhook-client-ca`. */
  webhookClientCa: string;
  /** What the store container mounts: its serving certificate and the CA of its clients. */
  store: { dir: string; ca: string; cert: string; key: string };
  /** kube-apiserver's client certificate towards the store (in the node). */
  etcdClient: { cert: string; key: string };
}

export async function writeKindFiles(options: KindFilesOptions): Promise<KindFiles> {
  const dir = path.resolve(options.dir);
  const caDir = path.join(dir, 'ca');
  const pki = path.join(dir, 'node');
  mkdirSync(caDir, { recursive: true, mode: 0o700 });
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const storeDir = path.join(dir, 'store');
  mkdirSync(storeDir, { recursive: true, mode: 0o700 });
  const inNode = (file: string): string => path.posix.join(NODE_DIR, path.relative(pki, file));

  const storeCa = await CertificateAuthority.loadOrCreate(caDir, 'store-ca', 'cnpaas-store CA');
  const store = await storeCa.issue(storeDir, {
    name: 'store',
    commonName: options.storeHost,
    dnsNames: [options.storeHost, 'localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  const etcdClient = await storeCa.issue(pki, {
    name: 'apiserver-etcd-client',
    commonName: 'kube-apiserver-etcd-client',
    usage: 'client',
  });
  const webhookCa = await CertificateAuthority.loadOrCreate(caDir, 'webhook-client-ca', 'cnpaas webhook client CA');
  const webhookClient = await webhookCa.issue(pki, {
    name: 'apiserver-webhook-client',
    commonName: APISERVER_WEBHOOK_CLIENT_NAME,
    usage: 'client',
  });

  const storeCaCert = path.join(pki, 'store-ca.crt');
  const webhookCaCert = path.join(pki, 'webhook-client-ca.crt');
  copyFileSync(storeCa.files.cert, storeCaCert);
  copyFileSync(webhookCa.files.cert, webhookCaCert);
  copyFileSync(storeCa.files.cert, path.join(storeDir, 'store-ca.crt'));

  const kubeconfigFile = path.join(pki, 'webhook-client.kubeconfig');
  const admission = admissionConfig({
    kubeconfigPath: inNode(kubeconfigFile),
    // The apiserver looks a Service webhook up as <service>.<namespace>.svc, with :<port> unless 443.
    clients: options.webhookHosts
      .flatMap((host) => [host, `${host}:443`])
      .map((host) => ({
        host,
        cert: inNode(webhookClient.cert),
        key: inNode(webhookClient.key),
      })),
  });
  writeFileSync(kubeconfigFile, admission.kubeconfig, { mode: 0o600 });
  const admissionFile = path.join(pki, 'admission-control.yaml');
  writeFileSync(admissionFile, admission.admissionConfiguration, { mode: 0o600 });

  // kind (up to Kubernetes 1.35) speaks kubeadm v1beta3: extraArgs is a map.
  const clusterConfiguration = {
    kind: 'ClusterConfiguration',
    etcd: {
      external: {
        endpoints: [`https://${options.storeHost}:2379`],
        caFile: inNode(storeCaCert),
        certFile: inNode(etcdClient.cert),
        keyFile: inNode(etcdClient.key),
      },
    },
    apiServer: {
      extraArgs: { 'admission-control-config-file': inNode(admissionFile) },
      extraVolumes: [
        { name: 'cnpaas', hostPath: NODE_DIR, mountPath: NODE_DIR, readOnly: true, pathType: 'Directory' },
      ],
    },
  };
  const kindConfig = path.join(dir, 'kind-config.yaml');
  writeFileSync(
    kindConfig,
    stringify({
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      name: options.clusterName,
      nodes: [
        {
          role: 'control-plane',
          image: options.nodeImage,
          extraMounts: [{ hostPath: pki, containerPath: NODE_DIR, readOnly: true }],
        },
      ],
      kubeadmConfigPatches: [stringify(clusterConfiguration)],
    }),
  );
  return {
    kindConfig,
    webhookClientCa: webhookCaCert,
    etcdClient,
    store: { dir: storeDir, ca: path.join(storeDir, 'store-ca.crt'), cert: store.cert, key: store.key },
  };
}
