/**
 * A service composition's cluster part (docs/design.md "Service
 * compositions"): what `cnpaas install` takes from a service to put it into
 * a cluster, next to what `cnpaas up` takes from `components(ctx)` to run it
 * on this machine. The platform renders the service's Kustomize overlay,
 * issues a serving certificate per listed Service (from its own install CA
 * or cert-manager's), and asks `objects(ctx)` for the per-install values the
 * overlay cannot hold: passwords, keys, certificates from CAs the service
 * owns, and the objects made with them.
 *
 * Everything the context hands out is kept in the cluster, so a second
 * install changes nothing: `installed` reads a value back, and `ownCa` and
 * `issue` reuse a key pair from its Secret while it is still good.
 */
import type { ManifestObject } from './manifests.js';

/** A Service that serves TLS in the cluster, and the kubernetes.io/tls Secret its pods mount. */
export interface ServingSecret {
  secret: string;
  service: string;
}

/** A CA of the service's own in the cluster (kube-apiserver does not trust it), kept in a kubernetes.io/tls Secret. */
export interface ClusterCa {
  /** The Secret's name; the platform applies it with the service's objects. */
  secret: string;
  certPem: string;
}

export interface ClusterIssueRequest {
  /** The kubernetes.io/tls Secret the pair is reused from; the service makes that Secret (it may add keys). */
  secret: string;
  commonName: string;
  usage: 'server' | 'client';
  dnsNames?: string[];
  ca: ClusterCa;
}

/** What the platform hands `objects(ctx)`. */
export interface ClusterContext {
  /** Where the install's Secrets and ConfigMaps live. */
  namespace: string;
  /** PEM of the CA of every serving certificate: a caBundle for whatever calls the listed Services. */
  servingCaPem: string;
  /** A value already installed (key `key` of Secret `secret` in `namespace`), so a re-install keeps it. */
  installed(secret: string, key: string): Promise<string | undefined>;
  /** A CA of the service's own, made on the first install and kept. */
  ownCa(options: { secret: string; commonName: string }): Promise<ClusterCa>;
  /** A certificate from `ca`: the installed one while it is good, else a new one. */
  issue(request: ClusterIssueRequest): Promise<{ certPem: string; keyPem: string }>;
  /** Manifest files with their `{{NAME}}` placeholders filled from `vars` (a missing one is refused). */
  render(options: { files: readonly string[]; vars: Readonly<Record<string, string>> }): ManifestObject[];
}

export interface ServiceClusterPart {
  /** A directory with one Kustomize overlay per `cnpaas install --overlay` name, under `overlays/<name>/`. */
  deployDir: string;
  /**
   * The namespace the overlay puts the service's workloads in. Install keeps its Secrets and ConfigMaps for
   * the service there (the serving Secrets its pods mount among them) and hands it to `objects(ctx)`.
   */
  namespace: string;
  /** The Services that serve TLS, each with the Secret its pods mount. */
  serving: readonly ServingSecret[];
  /**
   * The Services (in `namespace`) kube-apiserver calls as admission webhooks: `cnpaas kind-config` gives
   * kube-apiserver its webhook client certificate for each one's host.
   */
  admissionWebhooks?: readonly string[];
  /**
   * The per-install Secrets, ConfigMaps and custom resources. Called once before anything is written (with
   * an empty `servingCaPem`), so install can check the caller may create them, and once to apply them.
   */
  objects(ctx: ClusterContext): Promise<ManifestObject[]>;
  /** Commands to try once it is installed, one a line, printed under install's "Next:". */
  nextSteps?(options: { kubeconfig: string; namespace: string }): string[];
}
