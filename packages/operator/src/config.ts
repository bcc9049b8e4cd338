/**
 * The command line of cnpaas-operator. Every flag also reads an environment
 * variable (flags win), so a supervisor can pass either.
 */
import { delimiter, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OperatorError } from './errors.js';
import { DEFAULT_TEMPLATE, LEADER_LEASE } from './webshop/names.js';

export interface OperatorConfig {
  healthHost: string;
  healthPort: number;
  /** A kubeconfig file (or a KUBECONFIG-style list), or undefined with `inCluster`. */
  kubeconfig: string | undefined;
  inCluster: boolean;
  /** Leader election on Lease cnpaas-system/cnpaas-operator; off only for a single replica in tests. */
  leaderElection: boolean;
  claimGraceMs: number;
  template: { namespace: string; name: string };
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
  --log-level LEVEL              trace, debug, info (default), warn, error            LOG_LEVEL
  --help, --version

/readyz answers 200 once this replica leads and its caches synced; a standby answers 503.
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function bad(flag: string, reason: string, hint: string): OperatorError {
  return new OperatorError('CNPAAS_OPERATOR_BAD_FLAG', `--${flag}: ${reason}`, { hint });
}

/** "127.0.0.1:8081", "localhost:8081", "[::1]:8081"; port 0 picks a free one. */
export function parseListen(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw bad(flag, `"${text}" is not HOST:PORT`, `e.g. --${flag} ${DEFAULT_LISTEN_HEALTH} (IPv6 as [::1]:8081)`);
  return { host: (m[1] ?? m[2])!, port };
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): OperatorConfig | 'help' | 'version' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        'listen-health': { type: 'string' },
        'no-leader-election': { type: 'boolean' },
        'claim-grace-seconds': { type: 'string' },
        template: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new OperatorError('CNPAAS_OPERATOR_BAD_FLAG', (err as Error).message, { hint: 'run cnpaas-operator --help for the flags' });
  }
  if (values['help']) return 'help';
  if (values['version']) return 'version';

  const flag = (name: string, envName: string): string | undefined => {
    const value = (values[name] as string | undefined) ?? env[envName];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const { host, port } = parseListen(flag('listen-health', 'CNPAAS_OPERATOR_LISTEN_HEALTH') ?? DEFAULT_LISTEN_HEALTH, 'listen-health');

  const kubeconfig = flag('kubeconfig', 'KUBECONFIG');
  const inCluster = !kubeconfig && !!env['KUBERNETES_SERVICE_HOST'];
  if (!kubeconfig && !inCluster) {
    throw bad('kubeconfig', 'is required outside a pod', 'pass the operator\'s kubeconfig (client identity cnpaas-operator), or set KUBECONFIG');
  }

  const graceText = flag('claim-grace-seconds', 'CNPAAS_OPERATOR_CLAIM_GRACE_SECONDS') ?? String(DEFAULT_CLAIM_GRACE_SECONDS);
  if (!/^\d{1,7}$/.test(graceText)) throw bad('claim-grace-seconds', `"${graceText}" is not a whole number of seconds`, `e.g. --claim-grace-seconds ${DEFAULT_CLAIM_GRACE_SECONDS}`);

  const templateText = flag('template', 'CNPAAS_OPERATOR_TEMPLATE') ?? `${DEFAULT_TEMPLATE.namespace}/${DEFAULT_TEMPLATE.name}`;
  const t = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(templateText);
  if (!t) throw bad('template', `"${templateText}" is not NAMESPACE/NAME`, `e.g. --template ${DEFAULT_TEMPLATE.namespace}/${DEFAULT_TEMPLATE.name}`);

  const logLevel = flag('log-level', 'LOG_LEVEL') ?? 'info';
  if (!LEVELS.includes(logLevel)) throw bad('log-level', `"${logLevel}" is not a level`, 'use debug, info, warn or error');

  return {
    healthHost: host,
    healthPort: port,
    // KUBECONFIG may list several files; run.ts merges those like kubectl does.
    kubeconfig: kubeconfig && !kubeconfig.includes(delimiter) ? resolve(kubeconfig) : kubeconfig,
    inCluster,
    leaderElection: values['no-leader-election'] !== true,
    claimGraceMs: Number(graceText) * 1000,
    template: { namespace: t[1]!, name: t[3]! },
    logLevel,
  };
}
