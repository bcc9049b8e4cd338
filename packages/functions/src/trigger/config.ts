/**
 * The command line of cnpaas-trigger. Every flag also reads an environment
 * variable (flags win). The client certificate the trigger presents to
 * targets is a flag, never a field of the HTTPTrigger: who may create
 * triggers must not choose the trigger's identity.
 */
import { delimiter, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FunctionsError } from '../errors.js';
import { isLoopback, parseListen } from '../listen-address.js';
import { parseDuration } from '../function/config.js';
import { SYSTEM_NAMESPACE, TRIGGER_LEASE } from './types.js';

export interface TriggerConfig {
  healthHost: string;
  healthPort: number;
  kubeconfig: string | undefined;
  inCluster: boolean;
  clientCertFile: string | undefined;
  clientKeyFile: string | undefined;
  leaderElection: boolean;
  clusterTriggerNamespaces: string[];
  statusIntervalMs: number;
  maxPending: number;
  logLevel: string;
}

export const DEFAULT_TRIGGER_LISTEN_HEALTH = '127.0.0.1:8084';

export const TRIGGER_USAGE = `Usage: cnpaas-trigger [flags]

Runs every HTTPTrigger (platform.cnpaas.dev/v1): watches the resource it
names and POSTs each matching event to its URL, at least once, resuming from
status.lastDeliveredResourceVersion after a restart.

  --kubeconfig FILE               how to reach the apiserver, as cnpaas-trigger     KUBECONFIG
                                  (default: in-cluster when run in a pod)
  --client-cert-file FILE         client certificate presented to targets (mTLS)    CNPAAS_TRIGGER_CLIENT_CERT_FILE
  --client-key-file FILE          its private key                                   CNPAAS_TRIGGER_CLIENT_KEY_FILE
  --listen-health HOST:PORT       /healthz, /readyz, /metrics over plain HTTP        CNPAAS_TRIGGER_LISTEN_HEALTH
                                  (default ${DEFAULT_TRIGGER_LISTEN_HEALTH}; loopback only)
  --no-leader-election            run without the Lease ${TRIGGER_LEASE.namespace}/${TRIGGER_LEASE.name} (one replica only)
  --cluster-trigger-namespaces NS comma-separated namespaces whose triggers may       CNPAAS_TRIGGER_CLUSTER_NAMESPACES
                                  watch other namespaces (default ${SYSTEM_NAMESPACE})
  --status-interval DURATION      at most one status write per trigger per interval CNPAAS_TRIGGER_STATUS_INTERVAL
                                  (default 2s)
  --max-pending N                 events held per trigger before its watch pauses   CNPAAS_TRIGGER_MAX_PENDING
                                  (default 10000)
  --log-level LEVEL               trace, debug, info (default), warn, error         LOG_LEVEL
  --help, --version

SIGHUP re-reads the client certificate. /readyz answers 200 once this replica
leads and its caches synced; a standby answers 503.
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function bad(flag: string, reason: string, hint: string): FunctionsError {
  return new FunctionsError('CNPAAS_FUNCTIONS_BAD_FLAG', `--${flag}: ${reason}`, { hint });
}

export function parseTriggerConfig(argv: readonly string[], env: NodeJS.ProcessEnv): TriggerConfig | 'help' | 'version' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        'client-cert-file': { type: 'string' },
        'client-key-file': { type: 'string' },
        'listen-health': { type: 'string' },
        'no-leader-election': { type: 'boolean' },
        'cluster-trigger-namespaces': { type: 'string' },
        'status-interval': { type: 'string' },
        'max-pending': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_BAD_FLAG', (err as Error).message, { hint: 'run cnpaas-trigger --help for the flags' });
  }
  if (values['help']) return 'help';
  if (values['version']) return 'version';
  const flag = (name: string, envName: string): string | undefined => {
    const value = (values[name] as string | undefined) ?? env[envName];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const { host, port } = parseListen(flag('listen-health', 'CNPAAS_TRIGGER_LISTEN_HEALTH') ?? DEFAULT_TRIGGER_LISTEN_HEALTH, 'listen-health', DEFAULT_TRIGGER_LISTEN_HEALTH);
  // Unauthenticated endpoints: DESIGN.md allows them on loopback only.
  if (!isLoopback(host)) throw bad('listen-health', `${host} is not a loopback address`, '/healthz, /readyz and /metrics are unauthenticated: use 127.0.0.1 or [::1]');

  const kubeconfig = flag('kubeconfig', 'KUBECONFIG');
  const inCluster = !kubeconfig && !!env['KUBERNETES_SERVICE_HOST'];
  if (!kubeconfig && !inCluster) throw bad('kubeconfig', 'is required outside a pod', 'pass the trigger\'s kubeconfig (client identity cnpaas-trigger), or set KUBECONFIG');

  const clientCertFile = flag('client-cert-file', 'CNPAAS_TRIGGER_CLIENT_CERT_FILE');
  const clientKeyFile = flag('client-key-file', 'CNPAAS_TRIGGER_CLIENT_KEY_FILE');
  if (!!clientCertFile !== !!clientKeyFile) {
    throw bad(clientCertFile ? 'client-key-file' : 'client-cert-file', 'is required with the other one', 'pass both --client-cert-file and --client-key-file, or neither');
  }

  const namespaces = (flag('cluster-trigger-namespaces', 'CNPAAS_TRIGGER_CLUSTER_NAMESPACES') ?? SYSTEM_NAMESPACE)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const ns of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) throw bad('cluster-trigger-namespaces', `"${ns}" is not a namespace name`, `e.g. --cluster-trigger-namespaces ${SYSTEM_NAMESPACE}`);
  }

  const statusIntervalMs = parseDuration(flag('status-interval', 'CNPAAS_TRIGGER_STATUS_INTERVAL') ?? '2s', 'status-interval');
  const maxPendingText = flag('max-pending', 'CNPAAS_TRIGGER_MAX_PENDING') ?? '10000';
  if (!/^\d{1,7}$/.test(maxPendingText) || Number(maxPendingText) < 1) throw bad('max-pending', `"${maxPendingText}" is not a positive whole number`, 'e.g. --max-pending 10000');

  const logLevel = flag('log-level', 'LOG_LEVEL') ?? 'info';
  if (!LEVELS.includes(logLevel)) throw bad('log-level', `"${logLevel}" is not a level`, 'use debug, info, warn or error');

  return {
    healthHost: host,
    healthPort: port,
    kubeconfig: kubeconfig && !kubeconfig.includes(delimiter) ? resolve(kubeconfig) : kubeconfig,
    inCluster,
    clientCertFile: clientCertFile ? resolve(clientCertFile) : undefined,
    clientKeyFile: clientKeyFile ? resolve(clientKeyFile) : undefined,
    leaderElection: values['no-leader-election'] !== true,
    clusterTriggerNamespaces: namespaces,
    statusIntervalMs,
    maxPending: Number(maxPendingText),
    logLevel,
  };
}
