/**
 * The three processes of the local control plane, as plain specs for the
 * supervisor: cnpaas-store on a unix socket, kube-apiserver on it, and
 * kube-controller-manager (the fewest flags each needs on loopback).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FRONT_PROXY_CLIENT_NAME, type ClusterPki } from './cluster-pki.js';
import type { PlatformPortName, Ports } from './ports.js';
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

interface KubeComponent {
  name: string;
  binary: keyof ControlPlaneOptions['binaries'];
  serving: 'apiserver' | 'controllerManagerServing';
  readyPath: '/readyz' | '/healthz';
  readyTimeoutMs: number;
}

/**
 * The Kubernetes control-plane binaries, each serving HTTPS on 127.0.0.1 at its port in `Ports`
 * (named by its key here) with a certificate of the cluster CA: its binary in the options, its
 * serving certificate in the cluster PKI, and its readiness check (against the cluster CA).
 */
const KUBE_COMPONENTS = {
  apiserver: {
    name: 'kube-apiserver',
    binary: 'kubeApiserver',
    serving: 'apiserver',
    readyPath: '/readyz',
    readyTimeoutMs: 120_000,
  },
  controllerManager: {
    name: 'kube-controller-manager',
    binary: 'kubeControllerManager',
    serving: 'controllerManagerServing',
    readyPath: '/healthz',
    readyTimeoutMs: 60_000,
  },
} as const satisfies Partial<Record<PlatformPortName, KubeComponent>>;

/** A Kubernetes control-plane binary's process; `flags` are its own, after the serving ones. */
function kubeComponentSpec(
  component: keyof typeof KUBE_COMPONENTS,
  options: Pick<ControlPlaneOptions, 'ports' | 'pki' | 'binaries'>,
  flags: string[],
): ProcessSpec {
  const { name, binary, serving, readyPath, readyTimeoutMs } = KUBE_COMPONENTS[component];
  const port = options.ports[component];
  const { cert, key } = options.pki[serving];
  return {
    name,
    command: [
      options.binaries[binary],
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--tls-cert-file=${cert}`,
      `--tls-private-key-file=${key}`,
      ...flags,
    ],
    readyUrl: `https://127.0.0.1:${port}${readyPath}`,
    readyCaFile: options.pki.ca.files.cert,
    readyTimeoutMs,
  };
}

export function apiserverSpec(options: ApiserverSpecOptions): ProcessSpec {
  const { pki } = options;
  return kubeComponentSpec('apiserver', options, [
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
  ]);
}

export function controllerManagerSpec(options: ControlPlaneOptions): ProcessSpec {
  const { pki } = options;
  return kubeComponentSpec('controllerManager', options, [
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
  ]);
}
