/**
 * The command line of cnpaas-webhooks. Every flag also reads an environment
 * variable (flags win), so a supervisor can pass either.
 */
import { delimiter, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WebhooksError } from './errors.js';

export interface WebhooksConfig {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  clientCaFile: string | undefined;
  allowedClientNames: string[];
  /** A kubeconfig file (or a KUBECONFIG-style list), or undefined with `inCluster` (a pod's service account). */
  kubeconfig: string | undefined;
  inCluster: boolean;
  logLevel: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:9443';

export const USAGE = `Usage: cnpaas-webhooks [flags]

Admission webhooks for the webshop CRDs: hashes registration passwords, validates
RegistrationRequests, Users and Tenants, and keeps emails unique with claims.

  --listen HOST:PORT            where to serve HTTPS (default ${DEFAULT_LISTEN})      CNPAAS_WEBHOOKS_LISTEN
  --cert-file FILE              serving certificate, PEM (required)                   CNPAAS_WEBHOOKS_CERT_FILE
  --key-file FILE               its private key, PEM (required)                       CNPAAS_WEBHOOKS_KEY_FILE
  --client-ca-file FILE         require admission callers to present a certificate    CNPAAS_WEBHOOKS_CLIENT_CA_FILE
                                signed by this CA (kube-apiserver's webhook client)
  --allowed-client-names CNS    comma-separated CNs allowed among those certificates  CNPAAS_WEBHOOKS_ALLOWED_CLIENT_NAMES
  --kubeconfig FILE             how to reach the apiserver for claims and user        KUBECONFIG
                                lookups (default: in-cluster when run in a pod)
  --log-level LEVEL             trace, debug, info (default), warn, error             LOG_LEVEL
  --help, --version

/healthz, /readyz and /metrics need no client certificate. SIGHUP re-reads the
certificate files.
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function bad(flag: string, reason: string, hint: string): WebhooksError {
  return new WebhooksError('CNPAAS_WEBHOOKS_BAD_FLAG', `--${flag}: ${reason}`, { hint });
}

/** "127.0.0.1:9443", "localhost:9443", "[::1]:9443". */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw bad('listen', `"${text}" is not HOST:PORT`, `e.g. --listen ${DEFAULT_LISTEN} (port 0 picks a free one; IPv6 as [::1]:9443)`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): WebhooksConfig | 'help' | 'version' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        'cert-file': { type: 'string' },
        'key-file': { type: 'string' },
        'client-ca-file': { type: 'string' },
        'allowed-client-names': { type: 'string' },
        kubeconfig: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new WebhooksError('CNPAAS_WEBHOOKS_BAD_FLAG', (err as Error).message, { hint: 'run cnpaas-webhooks --help for the flags' });
  }
  if (values['help']) return 'help';
  if (values['version']) return 'version';

  const flag = (name: string, envName: string): string | undefined => {
    const value = (values[name] as string | undefined) ?? env[envName];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const { host, port } = parseListen(flag('listen', 'CNPAAS_WEBHOOKS_LISTEN') ?? DEFAULT_LISTEN);
  const certFile = flag('cert-file', 'CNPAAS_WEBHOOKS_CERT_FILE');
  if (!certFile) {
    throw bad('cert-file', 'is required', 'pass the serving certificate (SANs IP:127.0.0.1 and DNS:localhost) from cnpaas up\'s PKI, or set CNPAAS_WEBHOOKS_CERT_FILE');
  }
  const keyFile = flag('key-file', 'CNPAAS_WEBHOOKS_KEY_FILE');
  if (!keyFile) throw bad('key-file', 'is required', 'pass the private key of --cert-file, or set CNPAAS_WEBHOOKS_KEY_FILE');
  const clientCaFile = flag('client-ca-file', 'CNPAAS_WEBHOOKS_CLIENT_CA_FILE');
  const allowedClientNames = (flag('allowed-client-names', 'CNPAAS_WEBHOOKS_ALLOWED_CLIENT_NAMES') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (allowedClientNames.length > 0 && !clientCaFile) {
    throw bad('allowed-client-names', 'needs --client-ca-file', 'client names are only checked on certificates verified against --client-ca-file');
  }

  const kubeconfig = flag('kubeconfig', 'KUBECONFIG');
  const inCluster = !kubeconfig && !!env['KUBERNETES_SERVICE_HOST'];
  if (!kubeconfig && !inCluster) {
    throw bad('kubeconfig', 'is required outside a pod', 'pass the webhooks\' kubeconfig (client identity cnpaas-webhooks), or set KUBECONFIG');
  }

  const logLevel = flag('log-level', 'LOG_LEVEL') ?? 'info';
  if (!LEVELS.includes(logLevel)) throw bad('log-level', `"${logLevel}" is not a level`, 'use debug, info, warn or error');

  return {
    host,
    port,
    certFile: resolve(certFile),
    keyFile: resolve(keyFile),
    clientCaFile: clientCaFile ? resolve(clientCaFile) : undefined,
    allowedClientNames,
    // KUBECONFIG may list several files; main.ts merges those like kubectl does.
    kubeconfig: kubeconfig && !kubeconfig.includes(delimiter) ? resolve(kubeconfig) : kubeconfig,
    inCluster,
    logLevel,
  };
}
