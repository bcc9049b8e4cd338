/**
 * The service composition (docs/architecture.md "Compositions"): what a
 * service package exports so that `cnpaas up` runs it without knowing it.
 * The package exports `service: ServiceComposition`; the platform loads it
 * by package name or path and works in two phases:
 *
 * 1. it reads what the service declares up front: its ports (with the
 *    defaults of `--ports fixed`) and its store topology fragment, which
 *    decide how the store and kube-apiserver start;
 * 2. it calls `components(ctx)` with what it allocated: the ports, the
 *    cluster's CA files, and helpers that issue certificates, write a
 *    kubeconfig per client identity and keep files in the state directory.
 *    The service returns its component descriptors, in start order.
 *
 * Certificates, kubeconfigs and files all land in the one state directory,
 * by the names the service gives them, so a service prefixes its names with
 * its own (the platform refuses a name two services use).
 */
import type { ServiceClusterPart } from './cluster-part.js';
import type { ComponentDescriptor } from './component.js';

/**
 * The CN kube-apiserver presents to every admission webhook of a local stack
 * (its --admission-control-config-file); a webhook server allows this name.
 */
export const APISERVER_WEBHOOK_CLIENT_NAME = 'kube-apiserver-webhook-client';

export interface IssuedFiles {
  cert: string;
  key: string;
}

/** A CA of a service's own, apart from the cluster CA (kube-apiserver does not trust it). */
export interface OwnCa {
  name: string;
  /** Its certificate (PEM), for a server's client CA or a caller's trust. */
  certFile: string;
}

export interface IssueRequest {
  /** File name stem in the PKI directory (`<name>.crt`, `<name>.key`). */
  name: string;
  commonName: string;
  usage: 'server' | 'client';
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Default the cluster CA. */
  ca?: OwnCa;
}

/** What the platform hands `components(ctx)` (phase 2). */
export interface CompositionContext {
  /** kube-apiserver, e.g. https://127.0.0.1:6443. */
  server: string;
  /** The ports this service declared, as allocated (fixed defaults or free ones). */
  ports: Readonly<Record<string, number>>;
  /** Every port of the stack by name (the platform's: apiserver, controllerManager, storeMetrics; every service's). */
  allPorts: Readonly<Record<string, number>>;
  /** The cluster CA's certificate: kube-apiserver's client CA, and the CA of every certificate `issue` makes by default. */
  clusterCaFile: string;
  /** The front-proxy CA: kube-apiserver's --requestheader-client-ca-file, for an aggregated API server. */
  frontProxyCaFile: string;
  /** The topology file the store runs on (every service's fragment merged). */
  topology: string;
  /** The store's /metrics. */
  storeMetricsUrl: string;
  /** Issues (or re-issues) a certificate; the files are mode 0600. */
  issue(request: IssueRequest): Promise<IssuedFiles>;
  /** A CA of the service's own, made on first use and kept. */
  ownCa(options: { name: string; commonName: string }): Promise<OwnCa>;
  /** A kubeconfig for client identity `user` (a cluster-CA client certificate with CN = user). */
  kubeconfigFor(user: string): Promise<string>;
  /** `<state-dir>/<name>/`, made mode 0700 (e.g. the demo's mail). */
  dir(name: string): string;
  /**
   * A secret file in the PKI directory (0600), made by `make` when missing (or when `valid` refuses what is
   * there) and otherwise kept across restarts; returns its path.
   */
  secretFile(options: { name: string; make: () => string; valid?: (text: string) => boolean }): string;
  /** A file under `<state-dir>/manifests/` (0600), rewritten on every up: local renderings of manifests. */
  writeManifest(name: string, text: string): string;
  /**
   * kube-apiserver presents its webhook client certificate (CN APISERVER_WEBHOOK_CLIENT_NAME, cluster CA)
   * to this host:port; without it, the webhook is called with no client certificate.
   */
  admitFrom(hostPort: string): void;
}

/** A component as the platform runs it: its descriptor and what differs locally. */
export interface ComposedComponent {
  descriptor: ComponentDescriptor;
  /**
   * Applied around the process; default `descriptor.manifests`. Local renderings (a loopback URL, a CA
   * bundle filled in) replace the cluster forms here. `vars` fill `${NAME}` placeholders;
   * `removeOnStop` is deleted before the process stops for good.
   */
  manifests?: {
    beforeStart: string[];
    afterReady: string[];
    vars?: Record<string, string>;
    removeOnStop?: string[];
  };
  /** The CA of readyUrl's certificate; default the cluster CA. */
  readyCaFile?: string;
  /** How long a start may take before it counts as failed; default 60 s. */
  readyTimeoutMs?: number;
}

/** A `cnpaas` subcommand a service adds (the webshop's `cnpaas mail`). */
export interface ServiceCommand {
  name: string;
  /** For `cnpaas --help`: `NAME [ARGS]` and one line. */
  usage: string;
  summary: string;
  run(options: { stateDir: string; args: string[]; write: (text: string) => void }): Promise<void>;
}

export interface ServiceComposition {
  /** The service's name, in messages (kebab-case). */
  name: string;
  /** Phase 1: the ports it listens on, by stack-wide name, with the `--ports fixed` default. */
  ports: Readonly<Record<string, number>>;
  /** A TopologyConfig file with the store routes of its kinds; merged with the other services'. */
  topology?: string;
  /** Phase 2: its components in start order. */
  components(ctx: CompositionContext): Promise<ComposedComponent[]>;
  commands?: readonly ServiceCommand[];
  /** What `cnpaas install` puts into a cluster for it (cluster-part.ts); without it, install refuses the service. */
  cluster?: ServiceClusterPart;
}
