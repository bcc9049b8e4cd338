/**
 * The command line of cnpaas-api-server. Every flag also reads an
 * environment variable (flags win), so a supervisor can pass either. The
 * authentication flags keep kube-apiserver's own names, so the values
 * `cnpaas up` gives kube-apiserver can be given here unchanged.
 */
import {
  DEFAULT_REQUESTHEADER_ALLOWED_NAMES,
  flagTable,
  parseDurationFlag,
  parseListenFlag,
  readFlags,
  type Flags,
  type HostPort,
  type KubeconfigSource,
} from '@cnpaas/service-kit';
import { ApiServerError } from './errors.js';

export interface ApiServerConfig extends KubeconfigSource {
  host: string;
  port: number;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  requestheaderClientCaFile: string;
  requestheaderAllowedNames: string[];
  registrationTimeoutMs: number;
  maxBodyBytes: number;
  /** Registrations per caller per minute; 0: no limit. */
  registrationRatePerMinute: number;
  /** Registrations per caller at once. */
  registrationBurst: number;
  logLevel: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:8443';
/** A registration is a few hundred bytes; 64 KiB leaves room for labels and annotations. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
/** Under kube-apiserver's --request-timeout (60 s), so our 504 Status reaches the caller, not the aggregator's. */
export const DEFAULT_REGISTRATION_TIMEOUT_MS = 30_000;
/** Registrations per caller: 5 at once, then one every 6 s (10 a minute): a person registering never notices, a script does. */
export const DEFAULT_REGISTRATIONS_PER_MINUTE = 10;
export const DEFAULT_REGISTRATION_BURST = 5;

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
                                        (default ${DEFAULT_REQUESTHEADER_ALLOWED_NAMES.join(',')})
  --kubeconfig FILE                     this server's own identity (cnpaas-api-server), for       KUBECONFIG
                                        SubjectAccessReviews and RegistrationRequests
                                        (default: in-cluster when run in a pod)
  --registration-timeout DURATION       answer 504 when a registration takes longer than this     CNPAAS_API_REGISTRATION_TIMEOUT
                                        (default ${DEFAULT_REGISTRATION_TIMEOUT_MS / 1000}s; e.g. 500ms, 45s, 1m; below kube-apiserver's 60s)
  --max-body-bytes N                    largest request body (default ${DEFAULT_BODY_LIMIT})             CNPAAS_API_MAX_BODY_BYTES
  --registration-rate N                 registrations per caller (front-proxy user) per minute    CNPAAS_API_REGISTRATION_RATE
                                        (default ${DEFAULT_REGISTRATIONS_PER_MINUTE}; 0 turns the limit off); beyond it 429
  --registration-burst N                registrations per caller at once (default ${DEFAULT_REGISTRATION_BURST})           CNPAAS_API_REGISTRATION_BURST
  --log-level LEVEL                     trace, debug, info (default), warn, error                 LOG_LEVEL
  --help, --version

/healthz, /livez, /readyz and /metrics need no client certificate. SIGHUP re-reads the
certificate files.
`;

/** "127.0.0.1:8443", "localhost:8443", "[::1]:8443". */
export function parseListen(text: string): HostPort {
  return parseListenFlag(text, { flag: 'listen', example: DEFAULT_LISTEN, error: ApiServerError.kit });
}

/** "30s", "500ms", "2m", or a bare number of seconds, to milliseconds. */
export function parseDuration(text: string, flag: string): number {
  return parseDurationFlag(text, { flag, error: ApiServerError.kit });
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ApiServerConfig | 'help' | 'version' {
  const flags = readFlags({
    bin: 'cnpaas-api-server',
    argv,
    env,
    error: ApiServerError.kit,
    flags: flagTable({
      envPrefix: 'CNPAAS_API',
      strings: [
        'listen',
        'tls-cert-file',
        'tls-private-key-file',
        'requestheader-client-ca-file',
        'requestheader-allowed-names',
        'registration-timeout',
        'max-body-bytes',
        'registration-rate',
        'registration-burst',
      ],
      kubeconfig: true,
    }),
  });
  if (typeof flags === 'string') return flags;

  const { host, port } = flags.listen('listen', DEFAULT_LISTEN);
  const tlsCertFile = flags.requiredFile('tls-cert-file', {
    hint: "pass the serving certificate (SANs DNS:cnpaas-api.cnpaas-system.svc, DNS:localhost, IP:127.0.0.1) from cnpaas up's PKI",
  });
  const tlsPrivateKeyFile = flags.requiredFile('tls-private-key-file', {
    hint: 'pass the private key of --tls-cert-file',
  });
  const requestheaderClientCaFile = flags.requiredFile('requestheader-client-ca-file', {
    reason: 'is required: without it nobody could be told apart from kube-apiserver',
    hint: "pass the same file as kube-apiserver's --requestheader-client-ca-file (the front-proxy CA)",
  });
  // Unlike kube-apiserver, an empty list does not mean "any CN".
  const requestheaderAllowedNames = flags.names('requestheader-allowed-names', {
    fallback: DEFAULT_REQUESTHEADER_ALLOWED_NAMES,
  });

  const kube = flags.kubeconfig(
    "pass the api-server's kubeconfig (client identity cnpaas-api-server), or set KUBECONFIG",
  );
  const registrationTimeoutMs = flags.duration('registration-timeout') ?? DEFAULT_REGISTRATION_TIMEOUT_MS;

  const bodyText = flags.value('max-body-bytes');
  const maxBodyBytes = bodyText === undefined ? DEFAULT_BODY_LIMIT : Number(bodyText);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024 || maxBodyBytes > 16 * 1024 * 1024) {
    throw flags.bad('max-body-bytes', {
      reason: `"${bodyText}" is not a byte count between 1024 and 16777216`,
      hint: `the default ${DEFAULT_BODY_LIMIT} fits any registration`,
    });
  }
  const registrationRatePerMinute = count(flags, 'registration-rate', {
    fallback: DEFAULT_REGISTRATIONS_PER_MINUTE,
    min: 0,
    max: 1_000_000,
    hint: `the default ${DEFAULT_REGISTRATIONS_PER_MINUTE} a minute suits people registering; 0 turns the limit off`,
  });
  const registrationBurst = count(flags, 'registration-burst', {
    fallback: DEFAULT_REGISTRATION_BURST,
    min: 1,
    max: 1_000_000,
    hint: `the default is ${DEFAULT_REGISTRATION_BURST}; at least 1, or no registration could ever pass`,
  });
  const logLevel = flags.logLevel();

  return {
    host,
    port,
    tlsCertFile,
    tlsPrivateKeyFile,
    requestheaderClientCaFile,
    requestheaderAllowedNames,
    ...kube,
    registrationTimeoutMs,
    maxBodyBytes,
    registrationRatePerMinute,
    registrationBurst,
    logLevel,
  };
}

/** A whole number between `min` and `max`, `fallback` when unset. */
function count(flags: Flags, name: string, rule: { fallback: number; min: number; max: number; hint: string }): number {
  const text = flags.value(name);
  if (text === undefined) return rule.fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
    throw flags.bad(name, {
      reason: `"${text}" is not a whole number between ${rule.min} and ${rule.max}`,
      hint: rule.hint,
    });
  }
  return value;
}
