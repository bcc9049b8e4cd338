/**
 * The component descriptor (docs/design.md "Contracts between packages"): what
 * the platform's one supervisor needs to run a package's process (command,
 * env, health URLs), which manifests to apply when, and which certificates
 * its PKI must issue. Each runnable package exports a function that returns
 * one; the platform decides paths and ports and passes them in.
 */
import { fileURLToPath } from 'node:url';
import { hostPort } from './address.js';

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

/** The part of a descriptor every node process of the stack has alike. */
export type NodeProcess = Pick<
  ComponentDescriptor,
  'name' | 'command' | 'env' | 'healthUrl' | 'readyUrl' | 'metricsUrl'
>;

export interface NodeProcessOptions {
  /** The package's bin script, e.g. `new URL('../bin/cnpaas-webhooks.js', import.meta.url)`. */
  bin: URL;
  /** Its flags, in order. */
  args: readonly string[];
  /** Where /healthz, /readyz and /metrics answer, e.g. `https://127.0.0.1:9443`. */
  baseUrl: string;
  /** LOG_LEVEL; default info. */
  logLevel?: string | undefined;
  /** More of the environment, e.g. files that hold credentials (never a secret's value: `ps e` shows it). */
  env?: Record<string, string> | undefined;
}

/** This node running the bin with its flags, LOG_LEVEL, and the health routes on one base URL. */
export function nodeProcess(name: string, options: NodeProcessOptions): NodeProcess {
  return {
    name,
    command: [process.execPath, fileURLToPath(options.bin), ...options.args],
    env: { LOG_LEVEL: options.logLevel ?? 'info', ...options.env },
    healthUrl: `${options.baseUrl}/healthz`,
    readyUrl: `${options.baseUrl}/readyz`,
    metricsUrl: `${options.baseUrl}/metrics`,
  };
}

/** Where a component listens and how much it logs: what the platform passes every descriptor. */
export interface ListenOptions {
  /** Default 127.0.0.1. */
  host?: string | undefined;
  port: number;
  /** LOG_LEVEL; default info. */
  logLevel?: string | undefined;
}

/** HOST:PORT of a component's listener: its host, or 127.0.0.1. */
export function listenAddress(options: ListenOptions): string {
  return hostPort(options.host ?? '127.0.0.1', options.port);
}

export interface ListeningProcessOptions extends ListenOptions, Pick<NodeProcessOptions, 'bin' | 'args' | 'env'> {
  /** How its health routes are reached where it listens: `https` on its TLS port, `http` on a health port. */
  scheme: 'http' | 'https';
}

/**
 * `nodeProcess` for a component that serves /healthz, /readyz and /metrics
 * where it listens: the base URL and LOG_LEVEL come from the descriptor's
 * own options (`{ ...options, bin, scheme, args }`).
 */
export function listeningProcess(name: string, options: ListeningProcessOptions): NodeProcess {
  return nodeProcess(name, {
    bin: options.bin,
    args: options.args,
    baseUrl: `${options.scheme}://${listenAddress(options)}`,
    logLevel: options.logLevel,
    env: options.env,
  });
}
