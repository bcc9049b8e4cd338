/**
 * The component descriptor (docs/design.md "Contracts between packages"): what
 * the platform's one supervisor needs to run a package's process (command,
 * env, health URLs), which manifests to apply when, and which certificates
 * its PKI must issue. Each runnable package exports a function that returns
 * one; the platform decides paths and ports and passes them in.
 */

export interface CertificateNeed {
  /** A short id the platform can key files by. */
  id: string;
  /** `serving`: this server's certificate; `client`: a client identity; `ca`: a CA the component trusts. */
  kind: 'serving' | 'client' | 'ca';
  /** Who presents it and why. */
  purpose: string;
  commonName?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
}

export interface ComponentDescriptor {
  name: string;
  /** argv, executable first. */
  command: string[];
  env: Record<string, string>;
  /** Answers 200 while the process runs (no client certificate needed). */
  healthUrl: string;
  /** Answers 200 once it serves; the supervisor waits for it. */
  readyUrl: string;
  metricsUrl: string;
  manifests: {
    /** Applied before the process starts (its CRDs and permissions). */
    beforeStart: string[];
    /** Applied after readyUrl answers 200 (registrations that point at the running server), with the vars the package documents. */
    afterReady: string[];
  };
  certificates: CertificateNeed[];
}
