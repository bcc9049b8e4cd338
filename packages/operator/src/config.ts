/**
 * The command line of cnpaas-operator. Every flag also reads an environment
 * variable (flags win), so a supervisor can pass either.
 */
import { flagTable, readFlags, type KubeconfigSource } from '@cnpaas/service-kit';
import { OperatorError } from './errors.js';
import { DEFAULT_TEMPLATE, LEADER_LEASE } from './webshop/names.js';

export interface OperatorConfig extends KubeconfigSource {
  healthHost: string;
  healthPort: number;
  /** Leader election on Lease cnpaas-system/cnpaas-operator; off only for a single replica in tests. */
  leaderElection: boolean;
  claimGraceMs: number;
  template: { namespace: string; name: string };
  /**
   * The client-certificate user cnpaas-api-server runs as (`cnpaas up`); the per-User RoleBindings
   * name it instead of the ServiceAccount cnpaas-system/cnpaas-api-server a cluster runs it as.
   */
  apiServerUser: string | undefined;
  logLevel: string;
}

export const DEFAULT_LISTEN_HEALTH = '127.0.0.1:8081';
const DEFAULT_CLAIM_GRACE_SECONDS = 600;

export const USAGE = `Usage: cnpaas-operator [flags]

The webshop controllers: RegistrationRequest, Tenant, User and email-claim release.

  --kubeconfig FILE              how to reach the apiserver, as cnpaas-operator      KUBECONFIG
                                 (default: in-cluster when run in a pod)
  --listen-health HOST:PORT      /healthz, /readyz, /metrics over plain HTTP          CNPAAS_OPERATOR_LISTEN_HEALTH
                                 (default ${DEFAULT_LISTEN_HEALTH}; keep it on loopback)
  --no-leader-election           run without the Lease ${LEADER_LEASE.namespace}/${LEADER_LEASE.name} (one replica only)
  --claim-grace-seconds N        minimum age of an email claim before release        CNPAAS_OPERATOR_CLAIM_GRACE_SECONDS
                                 (default ${DEFAULT_CLAIM_GRACE_SECONDS})
  --template NAMESPACE/NAME      the welcome EmailTemplate                            CNPAAS_OPERATOR_TEMPLATE
                                 (default ${DEFAULT_TEMPLATE.namespace}/${DEFAULT_TEMPLATE.name})
  --api-server-user NAME         cnpaas-api-server's client-certificate user, bound   CNPAAS_OPERATOR_API_SERVER_USER
                                 in each User's <user>-api-server RoleBinding instead
                                 of the ServiceAccount cnpaas-system/cnpaas-api-server
                                 (cnpaas up passes it; a cluster leaves it out)
  --log-level LEVEL              trace, debug, info (default), warn, error            LOG_LEVEL
  --help, --version

/readyz answers 200 once this replica leads and its caches synced; a standby answers 503.
`;

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): OperatorConfig | 'help' | 'version' {
  const flags = readFlags({
    bin: 'cnpaas-operator',
    argv,
    env,
    error: OperatorError.kit,
    flags: flagTable({
      envPrefix: 'CNPAAS_OPERATOR',
      strings: ['listen-health', 'claim-grace-seconds', 'template', 'api-server-user'],
      booleans: ['no-leader-election'],
      kubeconfig: true,
    }),
  });
  if (typeof flags === 'string') return flags;

  const { host, port } = flags.listen('listen-health', DEFAULT_LISTEN_HEALTH);
  const kube = flags.kubeconfig("pass the operator's kubeconfig (client identity cnpaas-operator), or set KUBECONFIG");

  const graceText = flags.value('claim-grace-seconds') ?? String(DEFAULT_CLAIM_GRACE_SECONDS);
  if (!/^\d{1,7}$/.test(graceText)) {
    throw flags.bad('claim-grace-seconds', {
      reason: `"${graceText}" is not a whole number of seconds`,
      hint: `e.g. --claim-grace-seconds ${DEFAULT_CLAIM_GRACE_SECONDS}`,
    });
  }

  const defaultTemplate = `${DEFAULT_TEMPLATE.namespace}/${DEFAULT_TEMPLATE.name}`;
  const templateText = flags.value('template') ?? defaultTemplate;
  const t = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(templateText);
  if (!t)
    throw flags.bad('template', {
      reason: `"${templateText}" is not NAMESPACE/NAME`,
      hint: `e.g. --template ${defaultTemplate}`,
    });

  const apiServerUser = flags.value('api-server-user');
  if (apiServerUser !== undefined && !/^[A-Za-z0-9][-A-Za-z0-9_.:@]*$/.test(apiServerUser))
    throw flags.bad('api-server-user', {
      reason: `"${apiServerUser}" is not a user name`,
      hint: "give the CN of the api-server's client certificate, e.g. --api-server-user cnpaas-api-server",
    });

  return {
    healthHost: host,
    healthPort: port,
    ...kube,
    leaderElection: !flags.has('no-leader-election'),
    claimGraceMs: Number(graceText) * 1000,
    template: { namespace: t[1]!, name: t[3]! },
    apiServerUser,
    logLevel: flags.logLevel(),
  };
}
