/**
 * The command line of cnpaas-api-server. Every flag also reads an
 * environment variable (flags win), so a supervisor can pass either. The
 * authentication flags keep kube-apiserver's own names, so the values
 * `cnpaas up` gives kube-apiserver can be given here unchanged.
 */
import { delimiter, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiServerError } from './errors.js';
import { DEFAULT_ALLOWED_NAMES } from './front-proxy-auth.js';

export interface ApiServerConfig {
  host: string;
  port: number;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  requestheaderClientCaFile: string;
  requestheaderAllowedNames: string[];
  /** A kubeconfig file (or a KUBECONFIG-style list), or undefined with `inCluster`. */
  kubeconfig: string | undefined;
  inCluster: boolean;
  registrationTimeoutMs: number;
  maxBodyBytes: number;
  logLevel: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:8443';
/** A registration is a few hundred bytes; 64 KiB leaves room for labels and annotations. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
/** Under kube-apiserver's --request-timeout (60 s), so our 504 Status reaches the caller, not the aggregator's. */
export const DEFAULT_REGISTRATION_TIMEOUT_MS = 30_000;

export const USAGE = `Usage: cnpaas-api-server [flags]

The aggregated API api.webshop.cnpaas.dev/v1 behind kube-apiserver: POST a registration,
get an answer once the operator has made its Tenant, Namespace, User and welcome Email.

  --listen HOST:PORT                    where to serve HTTPS (default ${DEFAULT_LISTEN})       CNPAAS_API_LISTEN
  --tls-cert-file FILE                  serving certificate, PEM (required); must carry          CNPAAS_API_TLS_CERT_FILE
                                        DNS:cnpaas-api.cnpaas-system.svc for the aggregator
  --tls-private-key-file FILE           its private key, PEM (required)                          CNPAAS_API_TLS_PRIVATE_KEY_FILE
  --requestheader-client-ca-file FILE   the front-proxy CA: only requests with a client           CNPAAS_API_REQUESTHEADER_CLIENT_CA_FILE
                                        certificate it signed are served (required)
  --requestheader-allowed-names CNS     comma-separated CNs allowed among those certificates      CNPAAS_API_REQUESTHEADER_ALLOWED_NAMES
                                        (default ${DEFAULT_ALLOWED_NAMES.join(',')})
  --kubeconfig FILE                     this server's own identity (cnpaas-api-server), for       KUBECONFIG
                                        SubjectAccessReviews and RegistrationRequests
                                        (default: in-cluster when run in a pod)
  --registration-timeout DURATION       answer 504 when a registration takes longer than this     CNPAAS_API_REGISTRATION_TIMEOUT
                                        (default ${DEFAULT_REGISTRATION_TIMEOUT_MS / 1000}s; e.g. 500ms, 45s, 1m; below kube-apiserver's 60s)
  --max-body-bytes N                    largest request body (default ${DEFAULT_BODY_LIMIT})             CNPAAS_API_MAX_BODY_BYTES
  --log-level LEVEL                     trace, debug, info (default), warn, error                 LOG_LEVEL
  --help, --version

/healthz, /livez, /readyz and /metrics need no client certificate. SIGHUP re-reads the
certificate files.
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function bad(flag: string, reason: string, hint: string): ApiServerError {
  return new ApiServerError('CNPAAS_API_BAD_FLAG', `--${flag}: ${reason}`, { hint });
}

/** "127.0.0.1:8443", "localhost:8443", "[::1]:8443". */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw bad('listen', `"${text}" is not HOST:PORT`, `e.g. --listen ${DEFAULT_LISTEN} (port 0 picks a free one; IPv6 as [::1]:8443)`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** "30s", "500ms", "2m", or a bare number of seconds, to milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw bad(flag, `"${text}" is not a duration`, 'use e.g. 30s, 500ms or 1m');
  const value = Number(m[1]);
  const ms = m[2] === 'ms' ? value : m[2] === 'm' ? value * 60_000 : value * 1000;
  if (ms < 1 || ms > 10 * 60_000) throw bad(flag, `${text} is out of range`, 'use a value between 1ms and 10m');
  return Math.round(ms);
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ApiServerConfig | 'help' | 'version' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        'tls-cert-file': { type: 'string' },
        'tls-private-key-file': { type: 'string' },
        'requestheader-client-ca-file': { type: 'string' },
        'requestheader-allowed-names': { type: 'string' },
        kubeconfig: { type: 'string' },
        'registration-timeout': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new ApiServerError('CNPAAS_API_BAD_FLAG', (err as Error).message, { hint: 'run cnpaas-api-server --help for the flags' });
  }
  if (values['help']) return 'help';
  if (values['version']) return 'version';

  const flag = (name: string, envName: string): string | undefined => {
    const value = (values[name] as string | undefined) ?? env[envName];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const { host, port } = parseListen(flag('listen', 'CNPAAS_API_LISTEN') ?? DEFAULT_LISTEN);
  const tlsCertFile = flag('tls-cert-file', 'CNPAAS_API_TLS_CERT_FILE');
  if (!tlsCertFile) {
    throw bad('tls-cert-file', 'is required', 'pass the serving certificate (SANs DNS:cnpaas-api.cnpaas-system.svc, DNS:localhost, IP:127.0.0.1) from cnpaas up\'s PKI');
  }
  const tlsPrivateKeyFile = flag('tls-private-key-file', 'CNPAAS_API_TLS_PRIVATE_KEY_FILE');
  if (!tlsPrivateKeyFile) throw bad('tls-private-key-file', 'is required', 'pass the private key of --tls-cert-file');
  const requestheaderClientCaFile = flag('requestheader-client-ca-file', 'CNPAAS_API_REQUESTHEADER_CLIENT_CA_FILE');
  if (!requestheaderClientCaFile) {
    throw bad(
      'requestheader-client-ca-file',
      'is required: without it nobody could be told apart from kube-apiserver',
      'pass the same file as kube-apiserver\'s --requestheader-client-ca-file (the front-proxy CA)',
    );
  }
  // Unlike kube-apiserver, an empty list does not mean "any CN": a forgotten value must not widen trust.
  const names = (flag('requestheader-allowed-names', 'CNPAAS_API_REQUESTHEADER_ALLOWED_NAMES') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const requestheaderAllowedNames = names.length > 0 ? names : [...DEFAULT_ALLOWED_NAMES];

  const kubeconfig = flag('kubeconfig', 'KUBECONFIG');
  const inCluster = !kubeconfig && !!env['KUBERNETES_SERVICE_HOST'];
  if (!kubeconfig && !inCluster) {
    throw bad('kubeconfig', 'is required outside a pod', 'pass the api-server\'s kubeconfig (client identity cnpaas-api-server), or set KUBECONFIG');
  }

  const timeoutText = flag('registration-timeout', 'CNPAAS_API_REGISTRATION_TIMEOUT');
  const registrationTimeoutMs = timeoutText ? parseDuration(timeoutText, 'registration-timeout') : DEFAULT_REGISTRATION_TIMEOUT_MS;

  const bodyText = flag('max-body-bytes', 'CNPAAS_API_MAX_BODY_BYTES');
  const maxBodyBytes = bodyText === undefined ? DEFAULT_BODY_LIMIT : Number(bodyText);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024 || maxBodyBytes > 16 * 1024 * 1024) {
    throw bad('max-body-bytes', `"${bodyText}" is not a byte count between 1024 and 16777216`, `the default ${DEFAULT_BODY_LIMIT} fits any registration`);
  }

  const logLevel = flag('log-level', 'LOG_LEVEL') ?? 'info';
  if (!LEVELS.includes(logLevel)) throw bad('log-level', `"${logLevel}" is not a level`, 'use debug, info, warn or error');

  return {
    host,
    port,
    tlsCertFile: resolve(tlsCertFile),
    tlsPrivateKeyFile: resolve(tlsPrivateKeyFile),
    requestheaderClientCaFile: resolve(requestheaderClientCaFile),
    requestheaderAllowedNames,
    // KUBECONFIG may list several files; run.ts merges those like kubectl does.
    kubeconfig: kubeconfig && !kubeconfig.includes(delimiter) ? resolve(kubeconfig) : kubeconfig,
    inCluster,
    registrationTimeoutMs,
    maxBodyBytes,
    logLevel,
  };
}
