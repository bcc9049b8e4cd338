/**
 * The command line of cnpaas-email-function. Every flag also reads an
 * environment variable (flags win). SMTP settings come from the
 * environment or a mounted secret directory only (email/smtp-settings.ts),
 * never from argv, which `ps` shows to everyone.
 */
import {
  MTLS_SERVING_FLAGS,
  flagTable,
  readFlags,
  readMtlsServing,
  type KubeconfigSource,
  type MtlsServingConfig,
} from '@cnpaas/service-kit';
import { FunctionsError } from '../errors.js';
import { DEFAULT_VERIFY_URL, checkVerifyUrl } from '../email/verification-link.js';

export interface FunctionConfig extends KubeconfigSource, MtlsServingConfig {
  sendDeadlineMs: number;
  claimLeaseMs: number;
  /** The console's verify page: where `{{ .verificationUrl }}` links point. */
  verifyUrl: string;
  logLevel: string;
}

export const DEFAULT_FUNCTION_LISTEN = '127.0.0.1:8443';
/** The CN the function lets in by default: the demo HTTPTrigger's delivery certificate (delivery CA, never the cluster CA). */
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
  --verify-url URL            the console's verify page, for {{ .verificationUrl }}    CNPAAS_FUNCTION_VERIFY_URL
                              in mails (default ${DEFAULT_VERIFY_URL})
  --log-level LEVEL           trace, debug, info (default), warn, error               LOG_LEVEL
  --help, --version

SMTP: SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD or SMTP_PASSWORD_FILE,
SMTP_TLS (implicit|starttls|opportunistic|none), SMTP_CA_FILE, or files smtp-host,
smtp-port, smtp-username, smtp-password, smtp-tls in SMTP_SECRETS_DIR.
/healthz, /readyz and /metrics need no client certificate.
`;

/** The flags cnpaas-email-function reads, each also from its `CNPAAS_FUNCTION_*` variable. */
const FUNCTION_FLAGS = flagTable({
  envPrefix: 'CNPAAS_FUNCTION',
  strings: [...MTLS_SERVING_FLAGS, 'send-deadline', 'claim-lease', 'verify-url'],
  kubeconfig: true,
});

export function parseFunctionConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): FunctionConfig | 'help' | 'version' {
  const flags = readFlags({
    bin: 'cnpaas-email-function',
    argv,
    env,
    error: FunctionsError.kit,
    flags: FUNCTION_FLAGS,
  });
  if (typeof flags === 'string') return flags;

  // Every server authenticates its callers (docs/design.md "Security"): no anonymous mode.
  const serving = readMtlsServing(flags, {
    listen: DEFAULT_FUNCTION_LISTEN,
    certHint: "pass the serving certificate from cnpaas up's PKI, or set CNPAAS_FUNCTION_CERT_FILE",
    clientCa: { hint: "pass the CA that signs the trigger's client certificate" },
    // An empty list would let any certificate the CA signed POST: it means the default instead.
    allowedNames: { fallback: [TRIGGER_CLIENT_NAME] },
  });
  const kube = flags.kubeconfig(
    "pass the function's kubeconfig (client identity cnpaas-email-function), or set KUBECONFIG",
  );
  const sendDeadlineMs = flags.duration('send-deadline') ?? 8_000;
  const claimLeaseMs = flags.duration('claim-lease') ?? 30_000;
  if (claimLeaseMs <= sendDeadlineMs) {
    throw flags.bad('claim-lease', {
      reason: 'must be longer than --send-deadline',
      hint: 'otherwise a second instance could take over a claim whose holder is still sending',
    });
  }
  const verifyUrlText = flags.value('verify-url') ?? DEFAULT_VERIFY_URL;
  let verifyUrl: string;
  try {
    verifyUrl = checkVerifyUrl(verifyUrlText);
  } catch {
    throw flags.bad('verify-url', {
      reason: `${JSON.stringify(verifyUrlText)} is not an http(s) URL without a #fragment`,
      hint: `pass the console's verify page, e.g. ${DEFAULT_VERIFY_URL}`,
    });
  }
  const logLevel = flags.logLevel();
  return {
    ...serving,
    ...kube,
    sendDeadlineMs,
    claimLeaseMs,
    verifyUrl,
    logLevel,
  };
}
