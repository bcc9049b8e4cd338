/**
 * Phase 2 of the services' compositions: the platform hands each service a
 * context over what it allocated (ports, the cluster's CA files, the state
 * directory) and turns the component descriptors it returns into process
 * specs for the supervisor. It issues the certificates from the cluster CA
 * (or a CA the service owns), writes each identity's kubeconfig, and writes
 * kube-apiserver's admission configuration for the webhooks the services
 * named (one client certificate, CN APISERVER_WEBHOOK_CLIENT_NAME).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  APISERVER_WEBHOOK_CLIENT_NAME,
  type ComposedComponent,
  type CompositionContext,
  type OwnCa,
} from '@cnpaas/service-kit';
import { admissionConfig } from './admission-config.js';
import type { ClusterPki } from './cluster-pki.js';
import type { LoadedService } from './compositions.js';
import type { ProcessSpec } from './control-plane.js';
import { PlatformError } from './errors.js';
import { writeKubeconfig } from './kubeconfig.js';
import { CertificateAuthority } from './pki.js';
import type { Ports } from './ports.js';
import type { StatePaths } from './state-dir.js';

export interface ComposeOptions {
  services: readonly LoadedService[];
  paths: StatePaths;
  ports: Ports;
  pki: ClusterPki;
  server: string;
  /** The file the store runs on. */
  topology: string;
}

export interface ComposedStack {
  specs: ProcessSpec[];
  /** For kube-apiserver's --admission-control-config-file; null when no service runs a webhook. */
  admissionConfigFile: string | null;
}

/** Directories of the state dir that belong to the platform, never to a service. */
const PLATFORM_DIRS = new Set(['data', 'pki', 'logs', 'run', 'manifests', 'kind']);
const FILE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** The platform's own files in the PKI directory (stems of .crt/.key/.kubeconfig, and whole names). */
const PLATFORM_PKI_NAMES = [
  'ca',
  'front-proxy-ca',
  'apiserver',
  'front-proxy-client',
  'admin',
  'kube-controller-manager',
  'kube-controller-manager-serving',
  'apiserver-webhook-client',
  'sa',
  'admission-control.yaml',
];
const PLATFORM = 'the platform';

/** Files, identities and component names are stack-wide: the second service to claim one is refused. */
class Claims {
  private readonly owners = new Map<string, string>(PLATFORM_PKI_NAMES.map((n) => [`pki file ${n}`, PLATFORM]));
  claim(kind: string, name: string, service: string): void {
    if (!FILE_NAME.test(name)) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_SERVICE',
        `${service} asked for ${kind} "${name}", which is not a plain file name`,
        { hint: 'use lower-case letters, digits, ".", "_" and "-", prefixed with the service name' },
      );
    }
    const key = `${kind} ${name}`;
    const owner = this.owners.get(key);
    if (owner !== undefined && owner !== service) {
      throw new PlatformError('CNPAAS_PLATFORM_SERVICE', `${service} and ${owner} both use ${kind} "${name}"`, {
        hint: `prefix the ${kind} with the service's own name`,
      });
    }
    this.owners.set(key, service);
  }
}

export async function composeServices(options: ComposeOptions): Promise<ComposedStack> {
  const { paths, pki } = options;
  const claims = new Claims();
  const webhookHosts: string[] = [];
  const ownCas = new Map<string, CertificateAuthority>();
  const specs: ProcessSpec[] = [];
  for (const { composition } of options.services) {
    const service = composition.name;
    const ports = Object.fromEntries(Object.keys(composition.ports).map((name) => [name, options.ports[name]!]));
    const ctx: CompositionContext = {
      server: options.server,
      ports,
      allPorts: { ...options.ports },
      clusterCaFile: pki.ca.files.cert,
      frontProxyCaFile: pki.frontProxyCa.files.cert,
      topology: options.topology,
      storeMetricsUrl: `http://127.0.0.1:${options.ports.storeMetrics}/metrics`,
      async issue(request) {
        claims.claim('pki file', request.name, service);
        const ca = request.ca ? ownCas.get(request.ca.name) : pki.ca;
        if (!ca) {
          throw new PlatformError(
            'CNPAAS_PLATFORM_SERVICE',
            `${service} asked for a certificate from CA "${request.ca!.name}", which ctx.ownCa did not make`,
            { hint: 'pass the OwnCa that ctx.ownCa returned' },
          );
        }
        const { name, commonName, usage, dnsNames, ipAddresses } = request;
        return ca.issue(paths.pki, { name, commonName, usage, dnsNames, ipAddresses });
      },
      async ownCa({ name, commonName }): Promise<OwnCa> {
        claims.claim('pki file', name, service);
        const ca = await CertificateAuthority.loadOrCreate(paths.pki, name, commonName);
        ownCas.set(name, ca);
        return { name, certFile: ca.files.cert };
      },
      async kubeconfigFor(user) {
        claims.claim('pki file', user, service);
        const client = await pki.ca.issue(paths.pki, { name: user, commonName: user, usage: 'client' });
        const file = path.join(paths.pki, `${user}.kubeconfig`);
        writeKubeconfig(file, { server: options.server, caFile: pki.ca.files.cert, user, client });
        return file;
      },
      dir(name) {
        claims.claim('directory', name, service);
        if (PLATFORM_DIRS.has(name)) {
          throw new PlatformError(
            'CNPAAS_PLATFORM_SERVICE',
            `${service} asked for directory "${name}", which is the platform's`,
            { hint: "use a directory named after the service's data" },
          );
        }
        const dir = path.join(paths.root, name);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        return dir;
      },
      secretFile({ name, make, valid }) {
        claims.claim('pki file', name, service);
        const file = path.join(paths.pki, name);
        if (!existsSync(file) || (valid && !valid(readFileSync(file, 'utf8')))) {
          writeFileSync(file, make(), { mode: 0o600 });
        }
        return file;
      },
      writeManifest(name, text) {
        claims.claim('manifest', name, service);
        const dir = path.join(paths.root, 'manifests');
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const file = path.join(dir, name);
        // 0600: a local rendering may hold a key (a Secret a service renders locally).
        writeFileSync(file, text, { mode: 0o600 });
        return file;
      },
      admitFrom(hostPort) {
        webhookHosts.push(hostPort);
      },
    };
    for (const component of await composition.components(ctx)) {
      claims.claim('component', component.descriptor.name, service);
      specs.push(toSpec(component, pki.ca.files.cert));
    }
  }
  return {
    specs,
    admissionConfigFile: webhookHosts.length === 0 ? null : await writeAdmissionConfig(options, webhookHosts),
  };
}

function toSpec(component: ComposedComponent, clusterCaFile: string): ProcessSpec {
  const d = component.descriptor;
  return {
    name: d.name,
    command: d.command,
    env: d.env,
    readyUrl: d.readyUrl,
    readyCaFile: component.readyCaFile ?? clusterCaFile,
    readyTimeoutMs: component.readyTimeoutMs ?? 60_000,
    manifests: component.manifests ?? { beforeStart: d.manifests.beforeStart, afterReady: d.manifests.afterReady },
  };
}

/**
 * kube-apiserver presents a client certificate to the webhooks, chosen by the
 * webhook's host:port in this kubeconfig (AdmissionConfiguration kubeConfigFile).
 */
async function writeAdmissionConfig(options: ComposeOptions, hosts: readonly string[]): Promise<string> {
  const { paths, pki } = options;
  const client = await pki.ca.issue(paths.pki, {
    name: 'apiserver-webhook-client',
    commonName: APISERVER_WEBHOOK_CLIENT_NAME,
    usage: 'client',
  });
  const kubeconfig = path.join(paths.pki, 'apiserver-webhook-client.kubeconfig');
  const config = admissionConfig({
    kubeconfigPath: kubeconfig,
    clients: hosts.map((host) => ({ host, cert: client.cert, key: client.key })),
  });
  writeFileSync(kubeconfig, config.kubeconfig, { mode: 0o600 });
  const file = path.join(paths.pki, 'admission-control.yaml');
  writeFileSync(file, config.admissionConfiguration, { mode: 0o600 });
  return file;
}
