/**
 * The command line of cnpaas-trigger. Every flag also reads an environment
 * variable (flags win). The trigger presents no client certificate of its
 * own to targets (its kubeconfig identity is for the apiserver only); an
 * HTTPTrigger that needs mTLS names its own Secret. Which loopback or
 * control-plane targets may be called is a flag (--allow-target), never a
 * field of the HTTPTrigger: whoever creates triggers must not widen it.
 */
import { flagTable, readFlags, type KubeconfigSource } from '@cnpaas/service-kit';
import { FunctionsError } from '../errors.js';
import { isLoopback } from '../loopback.js';
import { allowEntryProblem } from './target-policy.js';
import { SYSTEM_NAMESPACE, TRIGGER_CLASS_LABEL, TRIGGER_CLASS_PATTERN, TRIGGER_LEASE } from './types.js';

export interface TriggerConfig extends KubeconfigSource {
  healthHost: string;
  healthPort: number;
  /** host:port targets that may be called although loopback, link-local or the apiserver. */
  allowTargets: string[];
  leaderElection: boolean;
  /** Run only the HTTPTriggers labelled with this class (unset: only those without the label). */
  triggerClass: string | undefined;
  clusterTriggerNamespaces: string[];
  statusIntervalMs: number;
  maxPending: number;
  logLevel: string;
}

export const DEFAULT_TRIGGER_LISTEN_HEALTH = '127.0.0.1:8084';

export const TRIGGER_USAGE = `Usage: cnpaas-trigger [flags]

Runs the HTTPTriggers (platform.cnpaas.dev/v1) of its class: watches the
resource each names and POSTs each matching event to its URL, at least once,
resuming from status.lastDeliveredResourceVersion after a restart.

  --kubeconfig FILE               how to reach the apiserver, as cnpaas-trigger     KUBECONFIG
                                  (default: in-cluster when run in a pod)
  --allow-target HOST:PORT,...    targets that may be called although they are      CNPAAS_TRIGGER_ALLOW_TARGETS
                                  loopback, link-local or the kube-apiserver
                                  (default none; cnpaas up: its email function)
  --listen-health HOST:PORT       /healthz, /readyz, /metrics over plain HTTP        CNPAAS_TRIGGER_LISTEN_HEALTH
                                  (default ${DEFAULT_TRIGGER_LISTEN_HEALTH}; loopback only)
  --trigger-class NAME            run only the HTTPTriggers labelled                 CNPAAS_TRIGGER_CLASS
                                  ${TRIGGER_CLASS_LABEL}=NAME, on the Lease
                                  ${TRIGGER_LEASE.namespace}/${TRIGGER_LEASE.name}-NAME (default: only those
                                  without the label, on ${TRIGGER_LEASE.namespace}/${TRIGGER_LEASE.name})
  --no-leader-election            run without the Lease (one replica only)
  --cluster-trigger-namespaces NS comma-separated namespaces whose triggers may       CNPAAS_TRIGGER_CLUSTER_NAMESPACES
                                  watch other namespaces (default ${SYSTEM_NAMESPACE})
  --status-interval DURATION      at most one status write per trigger per interval CNPAAS_TRIGGER_STATUS_INTERVAL
                                  (default 2s)
  --max-pending N                 events held per trigger before its watch pauses   CNPAAS_TRIGGER_MAX_PENDING
                                  (default 10000)
  --log-level LEVEL               trace, debug, info (default), warn, error         LOG_LEVEL
  --help, --version

Targets get no client certificate from the trigger: an HTTPTrigger that needs
mTLS names a Secret in its namespace (spec.tls.clientSecretRef: tls.crt,
tls.key, optional ca.crt). /readyz answers 200 once this replica leads and its
caches synced; a standby answers 503.
`;

/** The flags cnpaas-trigger reads, each also from its `CNPAAS_TRIGGER_*` variable (three under older names). */
const TRIGGER_FLAGS = flagTable({
  envPrefix: 'CNPAAS_TRIGGER',
  strings: ['client-cert-file', 'client-key-file', 'listen-health', 'status-interval', 'max-pending'],
  renamed: {
    'allow-target': 'CNPAAS_TRIGGER_ALLOW_TARGETS',
    'cluster-trigger-namespaces': 'CNPAAS_TRIGGER_CLUSTER_NAMESPACES',
    'trigger-class': 'CNPAAS_TRIGGER_CLASS',
  },
  booleans: ['no-leader-election'],
  kubeconfig: true,
});

export function parseTriggerConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): TriggerConfig | 'help' | 'version' {
  const flags = readFlags({ bin: 'cnpaas-trigger', argv, env, error: FunctionsError.kit, flags: TRIGGER_FLAGS });
  if (typeof flags === 'string') return flags;

  const { host, port } = flags.listen('listen-health', DEFAULT_TRIGGER_LISTEN_HEALTH);
  // Unauthenticated endpoints: docs/design.md "Security" allows them on loopback only.
  if (!isLoopback(host)) {
    throw flags.bad('listen-health', {
      reason: `${host} is not a loopback address`,
      hint: '/healthz, /readyz and /metrics are unauthenticated: use 127.0.0.1 or [::1]',
    });
  }

  const kube = flags.kubeconfig("pass the trigger's kubeconfig (client identity cnpaas-trigger), or set KUBECONFIG");

  // These flags once handed the trigger's apiserver identity to every target; refuse them rather than ignore them.
  for (const flag of ['client-cert-file', 'client-key-file'] as const) {
    if (flags.value(flag) !== undefined) {
      throw flags.bad(flag, {
        reason: 'is no longer accepted: the trigger presents no client certificate of its own to targets',
        hint: 'drop it; an HTTPTrigger that needs mTLS names a Secret with tls.crt and tls.key in spec.tls.clientSecretRef',
      });
    }
  }
  const allowTargets = flags.list('allow-target');
  for (const entry of allowTargets) {
    const problem = allowEntryProblem(entry);
    if (problem)
      throw flags.bad('allow-target', { reason: problem, hint: 'e.g. --allow-target 127.0.0.1:8443,fn.example:443' });
  }

  // Unset means the default; a list of blanks means no namespace at all.
  const namespaces =
    flags.value('cluster-trigger-namespaces') === undefined
      ? [SYSTEM_NAMESPACE]
      : flags.list('cluster-trigger-namespaces');
  for (const ns of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) {
      throw flags.bad('cluster-trigger-namespaces', {
        reason: `"${ns}" is not a namespace name`,
        hint: `e.g. --cluster-trigger-namespaces ${SYSTEM_NAMESPACE}`,
      });
    }
  }

  const triggerClass = flags.value('trigger-class') || undefined;
  if (triggerClass !== undefined && !TRIGGER_CLASS_PATTERN.test(triggerClass)) {
    throw flags.bad('trigger-class', {
      reason: `"${triggerClass}" is not a DNS label (lower-case letters, digits and "-", at most 63)`,
      hint: 'e.g. --trigger-class inventory, the label value of the HTTPTriggers this instance runs',
    });
  }

  const statusIntervalMs = flags.duration('status-interval') ?? 2_000;
  const maxPendingText = flags.value('max-pending') ?? '10000';
  if (!/^\d{1,7}$/.test(maxPendingText) || Number(maxPendingText) < 1) {
    throw flags.bad('max-pending', {
      reason: `"${maxPendingText}" is not a positive whole number`,
      hint: 'e.g. --max-pending 10000',
    });
  }

  return {
    healthHost: host,
    healthPort: port,
    ...kube,
    allowTargets,
    leaderElection: !flags.has('no-leader-election'),
    triggerClass,
    clusterTriggerNamespaces: namespaces,
    statusIntervalMs,
    maxPending: Number(maxPendingText),
    logLevel: flags.logLevel(),
  };
}
