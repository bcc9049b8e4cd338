/**
 * The command line of cnpaas-webhooks. Every flag also reads an environment
 * variable (flags win), so a supervisor can pass either.
 */
import {
  MTLS_SERVING_FLAGS,
  flagTable,
  parseListenFlag,
  readFlags,
  readMtlsServing,
  type HostPort,
  type KubeconfigSource,
  type MtlsServingConfig,
} from '@cnpaas/service-kit';
import { WebhooksError } from './errors.js';
import { ARGON2ID_COST_RULE, ARGON2ID_FLOOR, type Argon2Params } from './password-hash.js';
import { argon2AtLeast, argon2ParamsInRange, formatArgon2Params } from '@cnpaas/operator';

/** Both client certificate settings are required: the admission routes accept only certificates the CA signed with those CNs. */
export interface WebhooksConfig extends KubeconfigSource, MtlsServingConfig {
  logLevel: string;
  /** The cost of new password hashes; never below ARGON2ID_FLOOR. */
  argon2idCost: Argon2Params;
}

export const DEFAULT_LISTEN = '127.0.0.1:9443';

export const USAGE = `Usage: cnpaas-webhooks [flags]

Admission webhooks for the webshop CRDs: hashes registration passwords, validates
RegistrationRequests, Users and Tenants, and keeps emails unique with claims.

  --listen HOST:PORT            where to serve HTTPS (default ${DEFAULT_LISTEN})      CNPAAS_WEBHOOKS_LISTEN
  --cert-file FILE              serving certificate, PEM (required)                   CNPAAS_WEBHOOKS_CERT_FILE
  --key-file FILE               its private key, PEM (required)                       CNPAAS_WEBHOOKS_KEY_FILE
  --client-ca-file FILE         admission callers must present a certificate signed   CNPAAS_WEBHOOKS_CLIENT_CA_FILE
                                by this CA (kube-apiserver's webhook client) (required)
  --allowed-client-names CNS    comma-separated CNs allowed among those certificates  CNPAAS_WEBHOOKS_ALLOWED_CLIENT_NAMES
                                (required, e.g. kube-apiserver-webhook-client)
  --kubeconfig FILE             how to reach the apiserver for claims and user        KUBECONFIG
                                lookups (default: in-cluster when run in a pod)
  --argon2id-cost COST          cost of new password hashes: m=KiB,t=passes,p=lanes   CNPAAS_WEBHOOKS_ARGON2ID_COST
                                (default and floor ${formatArgon2Params(ARGON2ID_FLOOR)}, OWASP's minimum;
                                a lower cost is refused at startup)
  --log-level LEVEL             trace, debug, info (default), warn, error             LOG_LEVEL
  --help, --version

/healthz, /readyz and /metrics need no client certificate. SIGHUP re-reads the
certificate files.
`;

/** "127.0.0.1:9443", "localhost:9443", "[::1]:9443". */
export function parseListen(text: string): HostPort {
  return parseListenFlag(text, { flag: 'listen', example: DEFAULT_LISTEN, error: WebhooksError.kit });
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): WebhooksConfig | 'help' | 'version' {
  const flags = readFlags({
    bin: 'cnpaas-webhooks',
    argv,
    env,
    error: WebhooksError.kit,
    flags: flagTable({
      envPrefix: 'CNPAAS_WEBHOOKS',
      strings: [...MTLS_SERVING_FLAGS, 'argon2id-cost'],
      kubeconfig: true,
    }),
  });
  if (typeof flags === 'string') return flags;

  // Both are required: the admission routes create email claims and see passwords, so without a client CA anyone
  // could call them, and with a CA but no names any certificate that CA ever signed (another component's) would do.
  const serving = readMtlsServing(flags, {
    listen: DEFAULT_LISTEN,
    certHint:
      "pass the serving certificate (SANs IP:127.0.0.1 and DNS:localhost) from cnpaas up's PKI, or set CNPAAS_WEBHOOKS_CERT_FILE",
    clientCa: {
      reason: 'is required: without it the admission routes would accept callers without a client certificate',
      hint: "pass the CA that signs kube-apiserver's webhook client certificate (cnpaas up's PKI), or set CNPAAS_WEBHOOKS_CLIENT_CA_FILE",
    },
    allowedNames: {
      required: {
        reason: 'is required: without it any certificate signed by --client-ca-file could call the admission routes',
        hint: "pass the CN of kube-apiserver's webhook client certificate (kube-apiserver-webhook-client), or set CNPAAS_WEBHOOKS_ALLOWED_CLIENT_NAMES",
      },
    },
  });
  const kube = flags.kubeconfig("pass the webhooks' kubeconfig (client identity cnpaas-webhooks), or set KUBECONFIG");
  const logLevel = flags.logLevel();
  const argon2idCost = parseArgon2idCost(flags.value('argon2id-cost'), (reason) =>
    flags.bad('argon2id-cost', {
      reason,
      hint: `use ${ARGON2ID_COST_RULE}, or leave --argon2id-cost and CNPAAS_WEBHOOKS_ARGON2ID_COST unset for the floor`,
    }),
  );

  return {
    ...serving,
    ...kube,
    logLevel,
    argon2idCost,
  };
}

const COST = /^m=([1-9]\d{0,8}),t=([1-9]\d{0,2}),p=([1-9]\d{0,2})$/;

/**
 * "m=19456,t=2,p=1" → the cost of new hashes. Below the floor is refused
 * rather than clamped: a weaker setting someone wrote down on purpose must
 * not silently become a different one.
 */
export function parseArgon2idCost(text: string | undefined, bad: (reason: string) => Error): Argon2Params {
  if (text === undefined) return { ...ARGON2ID_FLOOR };
  const m = COST.exec(text);
  if (!m) throw bad(`"${text}" is not m=<KiB>,t=<passes>,p=<lanes>`);
  const cost = { m: Number(m[1]), t: Number(m[2]), p: Number(m[3]) };
  if (!argon2AtLeast(cost, ARGON2ID_FLOOR)) {
    throw bad(
      `${formatArgon2Params(cost)} is below the floor ${formatArgon2Params(ARGON2ID_FLOOR)} (OWASP's minimum for argon2id)`,
    );
  }
  if (!argon2ParamsInRange(cost)) throw bad(`${formatArgon2Params(cost)} is out of range`);
  return cost;
}
