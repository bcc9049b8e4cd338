/**
 * An HTTPS server whose callers prove who they are with a client
 * certificate (the webhooks, the email function): the same five flags
 * (--listen, --cert-file, --key-file, --client-ca-file,
 * --allowed-client-names), the same three PEM files read at start and on
 * SIGHUP, and the same material handed to the server. Written once here so
 * that both servers read, check and reload them alike.
 */
import type { HostPort } from './address.js';
import {
  listeningProcess,
  listenAddress,
  type ListenOptions,
  type NodeProcess,
  type NodeProcessOptions,
} from './component.js';
import type { ErrorFactory } from './errors.js';
import type { Flags, FlagProblem } from './flags.js';
import type { ServingTls } from './https-options.js';
import { serveUntilStopped, type ServedHttps, type ServeUntilStoppedOptions } from './serve.js';
import { readPem } from './tls.js';

/** The flags' names, for `flagTable`'s `strings`. */
export const MTLS_SERVING_FLAGS = ['listen', 'cert-file', 'key-file', 'client-ca-file', 'allowed-client-names'];

/** What to say when the certificates do not make a server. */
export const MTLS_TLS_HINT = 'check that --key-file is the key of --cert-file and both are PEM';

export interface MtlsServingConfig extends HostPort {
  certFile: string;
  keyFile: string;
  /** The admission or delivery routes accept only certificates this CA signed. */
  clientCaFile: string;
  /** The CNs allowed among those certificates; never empty. */
  allowedClientNames: string[];
}

export interface MtlsServingRules {
  /** The default `--listen` address. */
  listen: string;
  /** What to do when --cert-file is missing. */
  certHint: string;
  /** What to say when --client-ca-file is missing (`reason` defaults to "is required"). */
  clientCa: { hint: string; reason?: string };
  /** An empty --allowed-client-names: a default, or a refusal; never "any CN". */
  allowedNames: { fallback: readonly string[] } | { required: FlagProblem };
}

/** What the platform passes the component descriptor of such a server. */
export interface MtlsComponentOptions extends ListenOptions {
  certFile: string;
  keyFile: string;
  /** The CA of the callers' client certificates. */
  clientCaFile: string;
  /** Kubeconfig with the server's own client identity. */
  kubeconfig: string;
}

export interface MtlsServingArgsOptions {
  /** HOST:PORT. */
  listen: string;
  certFile: string;
  keyFile: string;
  clientCaFile: string;
  allowedClientNames: readonly string[];
}

/** The five flags as a supervisor passes them (a component descriptor's command). */
export function mtlsServingArgs(options: MtlsServingArgsOptions): string[] {
  return [
    '--listen',
    options.listen,
    '--cert-file',
    options.certFile,
    '--key-file',
    options.keyFile,
    '--client-ca-file',
    options.clientCaFile,
    '--allowed-client-names',
    options.allowedClientNames.join(','),
  ];
}

export interface MtlsProcessOptions extends MtlsComponentOptions, Pick<NodeProcessOptions, 'bin' | 'env'> {
  /** The CNs it lets in among the client certificates `clientCaFile` signed. */
  allowedClientNames: readonly string[];
  /** Its own flags, after the five and --kubeconfig. */
  args?: readonly string[];
}

/**
 * The process of such a server in a component descriptor: the five flags and
 * --kubeconfig, then its own; /healthz, /readyz and /metrics on the same HTTPS
 * port (they need no client certificate).
 */
export function mtlsProcess(name: string, options: MtlsProcessOptions): NodeProcess {
  return listeningProcess(name, {
    ...options,
    scheme: 'https',
    args: [
      ...mtlsServingArgs({ ...options, listen: listenAddress(options) }),
      '--kubeconfig',
      options.kubeconfig,
      ...(options.args ?? []),
    ],
  });
}

/** The five flags, checked (every server authenticates its callers: no anonymous mode). */
export function readMtlsServing(flags: Flags, rules: MtlsServingRules): MtlsServingConfig {
  const { host, port } = flags.listen('listen', rules.listen);
  const certFile = flags.requiredFile('cert-file', { hint: rules.certHint });
  const keyEnv = flags.envName('key-file');
  const keyFile = flags.requiredFile('key-file', {
    hint: `pass the private key of --cert-file${keyEnv ? `, or set ${keyEnv}` : ''}`,
  });
  const clientCaFile = flags.requiredFile('client-ca-file', rules.clientCa);
  const allowedClientNames = flags.names('allowed-client-names', rules.allowedNames);
  return { host, port, certFile, keyFile, clientCaFile, allowedClientNames };
}

/** The serving certificate, its key and the CA of the callers' certificates. */
export interface MtlsMaterial {
  key: string | Buffer;
  cert: string | Buffer;
  /** Signs the callers' client certificates. Unset: none is asked for (tests of the routes alone). */
  clientCa?: string | Buffer | undefined;
}

/** What the process reads from the three files: the client CA is always there. */
export type MtlsFiles = Required<MtlsMaterial>;

/** The PEM files, each failure naming its flag. */
export function readMtlsMaterial(config: MtlsServingConfig, error: ErrorFactory<'TLS'>): MtlsFiles {
  return {
    cert: readPem(config.certFile, { flag: 'cert-file', error }),
    key: readPem(config.keyFile, { flag: 'key-file', error }),
    clientCa: readPem(config.clientCaFile, { flag: 'client-ca-file', error }),
  };
}

/** The material in the kit's terms, for `fastifyHttpsOptions` and `HttpsService`. */
export function mtlsServingTls(tls: MtlsMaterial): ServingTls {
  return { key: tls.key, cert: tls.cert, ca: tls.clientCa };
}

export interface ServeMtlsOptions<Server extends ServedHttps<MtlsFiles>> extends Pick<
  ServeUntilStoppedOptions<MtlsFiles, Server>,
  'build' | 'log' | 'error' | 'listening' | 'close'
> {
  config: MtlsServingConfig;
  /** The files, read already: the process checks them before anything else. */
  tls: MtlsFiles;
}

/** `serveUntilStopped` on `--listen`, re-reading the three files on SIGHUP. */
export function serveMtlsUntilStopped<Server extends ServedHttps<MtlsFiles>>(
  options: ServeMtlsOptions<Server>,
): Promise<never> {
  const { config, error } = options;
  return serveUntilStopped({
    ...options,
    readTls: () => readMtlsMaterial(config, error),
    at: config,
    tlsHint: MTLS_TLS_HINT,
  });
}
