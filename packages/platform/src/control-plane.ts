/**
 * The three processes of the local control plane, as plain specs for the
 * supervisor: cnpaas-store on a unix socket, kube-apiserver on it, and
 * kube-controller-manager (the fewest flags each needs on loopback).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FRONT_PROXY_CLIENT_NAME, type ClusterPki } from './cluster-pki.js';
import type { KeyPairFiles } from './pki.js';
import type { Ports } from './ports.js';
import type { StatePaths } from './state-dir.js';

export interface ProcessSpec {
  name: string;
  /** argv, executable first. */
  command: string[];
  env?: Record<string, string>;
  /** Answers 200 once the process is ready. */
  readyUrl: string;
  /** CA that signed readyUrl's certificate (https only). */
  readyCaFile?: string;
  /** How long a start may take before it counts as failed. */
  readyTimeoutMs: number;
  /** Applied before the process starts, and after it is first ready (docs/design.md "Registrations"). */
  manifests?: {
    beforeStart: string[];
    afterReady: string[];
    vars?: Record<string, string>;
    /** Deleted before the process stops for good (an APIService must not outlive its server). */
    removeOnStop?: string[];
  };
}

export interface ControlPlaneOptions {
  paths: StatePaths;
  ports: Ports;
  pki: ClusterPki;
  topology: string;
  binaries: { kubeApiserver: string; kubeControllerManager: string };
  /** Path of the controller-manager's kubeconfig. */
  controllerManagerKubeconfig: string;
  /** Extra kube-apiserver flags (the audit log, the webhooks' admission configuration). */
  apiserverArgs?: string[];
}

/** The store's launcher, resolved through the workspace so src and dist both work. */
function storeBin(): string {
  const entry = fileURLToPath(import.meta.resolve('@cnpaas/storage-shim'));
  return path.resolve(path.dirname(entry), '..', 'bin', 'cnpaas-store.js');
}

export const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';

/** The in-cluster controllers the platform needs: namespaces, garbage collection, service accounts. */
export const CONTROLLERS = [
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'clusterrole-aggregation-controller',
  'resourcequota-controller',
];

export function controlPlaneSpecs(options: ControlPlaneOptions): ProcessSpec[] {
  return [
    storeSpec(options),
    apiserverSpec({ ...options, etcdServers: `unix://${options.paths.storeSocket}`, extraArgs: options.apiserverArgs }),
    controllerManagerSpec(options),
  ];
}

export function storeSpec(
  options: Pick<ControlPlaneOptions, 'paths' | 'ports' | 'topology'> & {
    /** Appended last (STORE_PUSHDOWN_ARGS with selector push-down). */
    extraArgs?: readonly string[];
  },
): ProcessSpec {
  const { paths, ports } = options;
  return {
    name: 'store',
    command: [
      process.execPath,
      storeBin(),
      '--data-dir',
      paths.data,
      '--topology',
      options.topology,
      // A unix socket (mode 0600) is the store's authentication: only this user reaches it.
      '--listen-client-urls',
      `unix://${paths.storeSocket}`,
      '--listen-metrics-urls',
      `http://127.0.0.1:${ports.storeMetrics}`,
      ...(options.extraArgs ?? []),
    ],
    readyUrl: `http://127.0.0.1:${ports.storeMetrics}/readyz`,
    readyTimeoutMs: 30_000,
  };
}

/**
 * The kube-apiserver flags selector push-down needs (scripts/k8s/pushdown/README.md), with
 * kube-apiserver-pushdown: values the store can read (JSON), and no watch cache, which would
 * otherwise list and watch without a selector.
 */
export const SELECTOR_PUSHDOWN_ARGS = ['--storage-media-type=application/json', '--watch-cache=false'];

/**
 * The store's side of push-down: a label index in each SQLite backend, so a label-selected LIST
 * reads only the objects that carry the label (off by default, as it costs rows on every write).
 */
export const STORE_PUSHDOWN_ARGS = ['--label-index=on'];

export interface ApiserverSpecOptions extends Pick<ControlPlaneOptions, 'ports' | 'pki' | 'binaries'> {
  etcdServers: string;
  /** Appended last, so they override (benchmarks turn the watch cache off). */
  extraArgs?: string[];
}

interface KubeComponentOptions {
  name: string;
  binary: string;
  /** Its HTTPS port on 127.0.0.1. */
  port: number;
  /** Its serving certificate and key, signed by the cluster CA. */
  serving: KeyPairFiles;
  /** Checked against the cluster CA. */
  readyPath: '/readyz' | '/healthz';
  readyTimeoutMs: number;
  pki: ClusterPki;
  /** Its own flags, after the serving ones. */
  flags: string[];
}

/** A Kubernetes control-plane binary serving HTTPS on loopback with a certificate of the cluster CA. */
function kubeComponentSpec(options: KubeComponentOptions): ProcessSpec {
  return {
    name: options.name,
    command: [
      options.binary,
      '--bind-address=127.0.0.1',
      `--secure-port=${options.port}`,
      `--tls-cert-file=${options.serving.cert}`,
      `--tls-private-key-file=${options.serving.key}`,
      ...options.flags,
    ],
    readyUrl: `https://127.0.0.1:${options.port}${options.readyPath}`,
    readyCaFile: options.pki.ca.files.cert,
    readyTimeoutMs: options.readyTimeoutMs,
  };
}

export function apiserverSpec(options: ApiserverSpecOptions): ProcessSpec {
  const { pki } = options;
  return kubeComponentSpec({
    name: 'kube-apiserver',
    binary: options.binaries.kubeApiserver,
    port: options.ports.apiserver,
    serving: pki.apiserver,
    readyPath: '/readyz',
    readyTimeoutMs: 120_000,
    pki,
    flags: [
      `--etcd-servers=${options.etcdServers}`,
      // Loopback with no default route: the only combination kube-apiserver 1.34 accepts.
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      `--client-ca-file=${pki.ca.files.cert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccount.pub}`,
      `--service-account-signing-key-file=${pki.serviceAccount.key}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=false',
      '--profiling=false',
      `--requestheader-client-ca-file=${pki.frontProxyCa.files.cert}`,
      `--requestheader-allowed-names=${FRONT_PROXY_CLIENT_NAME}`,
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-uid-headers=X-Remote-Uid',
      `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
      `--proxy-client-key-file=${pki.frontProxyClient.key}`,
      // Request bodies may carry passwords: never log above -v=2 (docs/design.md "The registration flow", step 3).
      '--v=1',
      ...(options.extraArgs ?? []),
    ],
  });
}

export function controllerManagerSpec(options: ControlPlaneOptions): ProcessSpec {
  const { pki } = options;
  return kubeComponentSpec({
    name: 'kube-controller-manager',
    binary: options.binaries.kubeControllerManager,
    port: options.ports.controllerManager,
    serving: pki.controllerManagerServing,
    readyPath: '/healthz',
    readyTimeoutMs: 60_000,
    pki,
    flags: [
      `--kubeconfig=${options.controllerManagerKubeconfig}`,
      `--authentication-kubeconfig=${options.controllerManagerKubeconfig}`,
      `--authorization-kubeconfig=${options.controllerManagerKubeconfig}`,
      // Each controller acts as its own service account, bound by the bootstrap RBAC.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccount.key}`,
      `--root-ca-file=${pki.ca.files.cert}`,
      '--cluster-name=cnpaas',
      '--leader-elect=false',
      `--controllers=${CONTROLLERS.join(',')}`,
      '--v=1',
    ],
  });
}
