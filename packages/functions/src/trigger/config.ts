/**
 * The command line of cnpaas-trigger. Every flag also reads an environment
 * variable (flags win). The client certificate the trigger presents to
 * targets is a flag, never a field of the HTTPTrigger: who may create
 * triggers must not choose the trigger's identity.
 */
import { resolve } from 'node:path';
import { readFlags, type KubeconfigSource } from '@cnpaas/service-kit';
import { kitError } from '../errors.js';
import { isLoopback } from '../loopback.js';
import { SYSTEM_NAMESPACE, TRIGGER_LEASE } from './types.js';

export interface TriggerConfig extends KubeconfigSource {
  healthHost: string;
  healthPort: number;
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

export function parseTriggerConfig(argv: readonly string[], env: NodeJS.ProcessEnv): TriggerConfig | 'help' | 'version' {
  const flags = readFlags({
    bin: 'cnpaas-trigger',
    argv,
    env,
    error: kitError,
    flags: {
      kubeconfig: { type: 'string', env: 'KUBECONFIG' },
      'client-cert-file': { type: 'string', env: 'CNPAAS_TRIGGER_CLIENT_CERT_FILE' },
      'client-key-file': { type: 'string', env: 'CNPAAS_TRIGGER_CLIENT_KEY_FILE' },
      'listen-health': { type: 'string', env: 'CNPAAS_TRIGGER_LISTEN_HEALTH' },
      'no-leader-election': { type: 'boolean' },
      'cluster-trigger-namespaces': { type: 'string', env: 'CNPAAS_TRIGGER_CLUSTER_NAMESPACES' },
      'status-interval': { type: 'string', env: 'CNPAAS_TRIGGER_STATUS_INTERVAL' },
      'max-pending': { type: 'string', env: 'CNPAAS_TRIGGER_MAX_PENDING' },
      'log-level': { type: 'string', env: 'LOG_LEVEL' },
    },
  });
  if (typeof flags === 'string') return flags;

  const { host, port } = flags.listen('listen-health', DEFAULT_TRIGGER_LISTEN_HEALTH);
  // Unauthenticated endpoints: docs/design.md "Security" allows them on loopback only.
  if (!isLoopback(host)) {
    throw flags.bad('listen-health', { reason: `${host} is not a loopback address`, hint: '/healthz, /readyz and /metrics are unauthenticated: use 127.0.0.1 or [::1]' });
  }

  const kube = flags.kubeconfig('pass the trigger\'s kubeconfig (client identity cnpaas-trigger), or set KUBECONFIG');

  const clientCertFile = flags.value('client-cert-file');
  const clientKeyFile = flags.value('client-key-file');
  if (!!clientCertFile !== !!clientKeyFile) {
    throw flags.bad(clientCertFile ? 'client-key-file' : 'client-cert-file', { reason: 'is required with the other one', hint: 'pass both --client-cert-file and --client-key-file, or neither' });
  }

  // Unset means the default; a list of blanks means no namespace at all.
  const namespaces = flags.value('cluster-trigger-namespaces') === undefined ? [SYSTEM_NAMESPACE] : flags.list('cluster-trigger-namespaces');
  for (const ns of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) {
      throw flags.bad('cluster-trigger-namespaces', { reason: `"${ns}" is not a namespace name`, hint: `e.g. --cluster-trigger-namespaces ${SYSTEM_NAMESPACE}` });
    }
  }

  const statusIntervalMs = flags.duration('status-interval') ?? 2_000;
  const maxPendingText = flags.value('max-pending') ?? '10000';
  if (!/^\d{1,7}$/.test(maxPendingText) || Number(maxPendingText) < 1) {
    throw flags.bad('max-pending', { reason: `"${maxPendingText}" is not a positive whole number`, hint: 'e.g. --max-pending 10000' });
  }

  return {
    healthHost: host,
    healthPort: port,
    ...kube,
    clientCertFile: clientCertFile ? resolve(clientCertFile) : undefined,
    clientKeyFile: clientKeyFile ? resolve(clientKeyFile) : undefined,
    leaderElection: !flags.has('no-leader-election'),
    clusterTriggerNamespaces: namespaces,
    statusIntervalMs,
    maxPending: Number(maxPendingText),
    logLevel: flags.logLevel(),
  };
}
