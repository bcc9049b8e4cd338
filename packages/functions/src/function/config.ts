/**
 * The command line of cnpaas-email-function. Every flag also reads an
 * environment variable (flags win). SMTP settings come from the
 * environment or a mounted secret directory only (email/smtp-settings.ts),
 * never from argv, which `ps` shows to everyone.
 */
import { delimiter, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FunctionsError } from '../errors.js';
import { parseListen } from '../listen-address.js';

export interface FunctionConfig {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  clientCaFile: string;
  allowedClientNames: string[];
  kubeconfig: string | undefined;
  inCluster: boolean;
  sendDeadlineMs: number;
  claimLeaseMs: number;
  logLevel: string;
}

export const DEFAULT_FUNCTION_LISTEN = '127.0.0.1:8443';
/** The CN of the trigger's client certificate (the live task's HTTPTrigger controller). */
export const TRIGGER_CLIENT_NAME = 'cnpaas-trigger';

export const FUNCTION_USAGE = `Usage: cnpaas-email-function [flags]

Sends each Email the trigger POSTs exactly once over SMTP and records
status.sentTimestamp or status.errorMessage.

  --listen HOST:PORT          where to serve HTTPS (default ${DEFAULT_FUNCTION_LISTEN})        CNPAAS_FUNCTION_LISTEN
  --cert-file FILE            serving certificate, PEM (required)                     CNPAAS_FUNCTION_CERT_FILE
  --key-file FILE             its private key, PEM (required)                         CNPAAS_FUNCTION_KEY_FILE
  --client-ca-file FILE       callers must present a certificate signed by it         CNPAAS_FUNCTION_CLIENT_CA_FILE
                              (required)
  --allowed-client-names CNS  comma-separated CNs allowed to POST                     CNPAAS_FUNCTION_ALLOWED_CLIENT_NAMES
                              (default ${TRIGGER_CLIENT_NAME})
  --kubeconfig FILE           how to reach the apiserver (default: in-cluster)        KUBECONFIG
  --send-deadline DURATION    all SMTP attempts of one delivery (default 8s)          CNPAAS_FUNCTION_SEND_DEADLINE
  --claim-lease DURATION      a claim older than this is abandoned (default 30s)      CNPAAS_FUNCTION_CLAIM_LEASE
  --log-level LEVEL           trace, debug, info (default), warn, error               LOG_LEVEL
  --help, --version

SMTP: SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD or SMTP_PASSWORD_FILE,
SMTP_TLS (implicit|starttls|opportunistic|none), SMTP_CA_FILE, or files smtp-host,
smtp-port, smtp-username, smtp-password, smtp-tls in SMTP_SECRETS_DIR.
/healthz, /readyz and /metrics need no client certificate.
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function bad(flag: string, reason: string, hint: string): FunctionsError {
  return new FunctionsError('CNPAAS_FUNCTIONS_BAD_FLAG', `--${flag}: ${reason}`, { hint });
}

/** "8s", "500ms", "1m" → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text.trim());
  if (!m) throw bad(flag, `"${text}" is not a duration`, 'e.g. 500ms, 8s, 1m');
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1_000 : 60_000);
}

export function parseFunctionConfig(argv: readonly string[], env: NodeJS.ProcessEnv): FunctionConfig | 'help' | 'version' {
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
        'send-deadline': { type: 'string' },
        'claim-lease': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_BAD_FLAG', (err as Error).message, { hint: 'run cnpaas-email-function --help for the flags' });
  }
  if (values['help']) return 'help';
  if (values['version']) return 'version';
  const flag = (name: string, envName: string): string | undefined => {
    const value = (values[name] as string | undefined) ?? env[envName];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const { host, port } = parseListen(flag('listen', 'CNPAAS_FUNCTION_LISTEN') ?? DEFAULT_FUNCTION_LISTEN, 'listen', DEFAULT_FUNCTION_LISTEN);
  const certFile = flag('cert-file', 'CNPAAS_FUNCTION_CERT_FILE');
  if (!certFile) throw bad('cert-file', 'is required', 'pass the serving certificate from cnpaas up\'s PKI, or set CNPAAS_FUNCTION_CERT_FILE');
  const keyFile = flag('key-file', 'CNPAAS_FUNCTION_KEY_FILE');
  if (!keyFile) throw bad('key-file', 'is required', 'pass the private key of --cert-file, or set CNPAAS_FUNCTION_KEY_FILE');
  // Every server authenticates its callers (DESIGN.md): no anonymous mode.
  const clientCaFile = flag('client-ca-file', 'CNPAAS_FUNCTION_CLIENT_CA_FILE');
  if (!clientCaFile) throw bad('client-ca-file', 'is required', 'pass the CA that signs the trigger\'s client certificate');
  const allowedClientNames = (flag('allowed-client-names', 'CNPAAS_FUNCTION_ALLOWED_CLIENT_NAMES') ?? TRIGGER_CLIENT_NAME)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const kubeconfig = flag('kubeconfig', 'KUBECONFIG');
  const inCluster = !kubeconfig && !!env['KUBERNETES_SERVICE_HOST'];
  if (!kubeconfig && !inCluster) throw bad('kubeconfig', 'is required outside a pod', 'pass the function\'s kubeconfig (client identity cnpaas-email-function), or set KUBECONFIG');
  const sendDeadlineMs = parseDuration(flag('send-deadline', 'CNPAAS_FUNCTION_SEND_DEADLINE') ?? '8s', 'send-deadline');
  const claimLeaseMs = parseDuration(flag('claim-lease', 'CNPAAS_FUNCTION_CLAIM_LEASE') ?? '30s', 'claim-lease');
  if (claimLeaseMs <= sendDeadlineMs) throw bad('claim-lease', 'must be longer than --send-deadline', 'otherwise a second instance could take over a claim whose holder is still sending');
  const logLevel = flag('log-level', 'LOG_LEVEL') ?? 'info';
  if (!LEVELS.includes(logLevel)) throw bad('log-level', `"${logLevel}" is not a level`, 'use debug, info, warn or error');
  return {
    host,
    port,
    certFile: resolve(certFile),
    keyFile: resolve(keyFile),
    clientCaFile: resolve(clientCaFile),
    allowedClientNames,
    kubeconfig: kubeconfig && !kubeconfig.includes(delimiter) ? resolve(kubeconfig) : kubeconfig,
    inCluster,
    sendDeadlineMs,
    claimLeaseMs,
    logLevel,
  };
}
