/**
 * Which certificates the local control plane needs, and who each one is.
 * Identities are the least a component needs: only the person's admin
 * kubeconfig is in system:masters; kube-controller-manager is the
 * `system:kube-controller-manager` user the bootstrap RBAC already binds.
 */
import path from 'node:path';
import { writeKubeconfig } from './kubeconfig.js';
import { CertificateAuthority, ensureServiceAccountKeys, type KeyPairFiles } from './pki.js';

/** The names the apiserver's serving certificate must carry (in-cluster and loopback). */
export const APISERVER_DNS_NAMES = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];
/** 10.0.0.1 is the first address of --service-cluster-ip-range, the `kubernetes` Service. */
export const APISERVER_IPS = ['127.0.0.1', '10.0.0.1'];
export const FRONT_PROXY_CLIENT_NAME = 'front-proxy-client';
export const ADMIN_USER = 'cnpaas-admin';

export interface ClusterPki {
  /** Signs the apiserver's serving certificate and every client certificate it trusts. */
  ca: CertificateAuthority;
  /** Signs only the aggregator's client certificate (kept apart from `ca`: its holder may assert any user by header). */
  frontProxyCa: CertificateAuthority;
  apiserver: KeyPairFiles;
  frontProxyClient: KeyPairFiles;
  admin: KeyPairFiles;
  controllerManager: KeyPairFiles;
  /** kube-controller-manager's /healthz and /metrics endpoint. */
  controllerManagerServing: KeyPairFiles;
  serviceAccount: { key: string; pub: string };
}

export async function ensureClusterPki(dir: string): Promise<ClusterPki> {
  const ca = await CertificateAuthority.loadOrCreate(dir, 'ca', 'cnpaas-ca');
  const frontProxyCa = await CertificateAuthority.loadOrCreate(dir, 'front-proxy-ca', 'cnpaas-front-proxy-ca');
  return {
    ca,
    frontProxyCa,
    apiserver: await ca.issue(dir, {
      name: 'apiserver',
      commonName: 'kube-apiserver',
      usage: 'server',
      dnsNames: APISERVER_DNS_NAMES,
      ipAddresses: APISERVER_IPS,
    }),
    frontProxyClient: await frontProxyCa.issue(dir, {
      name: 'front-proxy-client',
      commonName: FRONT_PROXY_CLIENT_NAME,
      usage: 'client',
    }),
    admin: await ca.issue(dir, {
      name: 'admin',
      commonName: ADMIN_USER,
      organizations: ['system:masters'],
      usage: 'client',
    }),
    controllerManager: await ca.issue(dir, {
      name: 'kube-controller-manager',
      commonName: 'system:kube-controller-manager',
      usage: 'client',
    }),
    controllerManagerServing: await ca.issue(dir, {
      name: 'kube-controller-manager-serving',
      commonName: 'kube-controller-manager',
      usage: 'server',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    }),
    serviceAccount: ensureServiceAccountKeys(dir),
  };
}

/** The person's kubeconfig: the admin's certificate, its PEMs embedded so the file works on its own. */
export function writeAdminKubeconfig(file: string, server: string, pki: ClusterPki): void {
  writeKubeconfig(file, { server, caFile: pki.ca.files.cert, user: ADMIN_USER, client: pki.admin, embed: true });
}

/** kube-controller-manager's kubeconfig, next to its certificate in `pkiDir` (referring to the files); returns its path. */
export function writeControllerManagerKubeconfig(pkiDir: string, server: string, pki: ClusterPki): string {
  const file = path.join(pkiDir, 'kube-controller-manager.kubeconfig');
  writeKubeconfig(file, {
    server,
    caFile: pki.ca.files.cert,
    user: 'system:kube-controller-manager',
    client: pki.controllerManager,
  });
  return file;
}
