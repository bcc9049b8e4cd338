/**
 * Wires the running process: kubeconfig, logger, the Manager with leader
 * election on Lease cnpaas-system/cnpaas-operator, the webshop controllers,
 * the health server, and signals. Loaded by main.ts only after the flags
 * parsed, so `--help` and flag errors answer without loading client-node.
 *
 * Exit: 0 after SIGTERM/SIGINT and a graceful stop (informers stop, running
 * reconciles finish, the Lease is released so a standby takes over at
 * once); 1 when the manager fails (leadership lost, caches never synced):
 * the supervisor restarts the process with fresh caches.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { runUntilStopped, startHealthServer } from '@cnpaas/service-kit';
import { loadKubeConfig } from '@cnpaas/service-kit/kubeconfig';
import {
  backoff,
  createLogger,
  EventRecorder,
  KubeClient,
  kubeEventSink,
  Manager,
  realClock,
  sleep,
  whoAmI,
  type Logger,
  type UserInfo,
} from '@cnpaas/kube';
import type { OperatorConfig } from './config.js';
import { OperatorError } from './errors.js';
import { addWebshopControllers } from './webshop/controllers.js';
import { kubeWebshopApi } from './webshop/kube-api.js';
import { LEADER_LEASE, OPERATOR_NAME, WEBSHOP_GROUP } from './webshop/names.js';

export async function run(config: OperatorConfig, version: string): Promise<void> {
  const kc = loadKubeConfig(config, {
    hint: "pass --kubeconfig with the operator's kubeconfig from cnpaas up",
    error: OperatorError.kit,
  });
  const log = createLogger({ level: config.logLevel, component: OPERATOR_NAME });
  const identity = `${hostname()}_${randomUUID()}`;
  const mgr = new Manager({
    kubeConfig: kc,
    log,
    processMetricsPrefix: 'cnpaas_operator_',
    ...(config.leaderElection ? { leaderElection: { ...LEADER_LEASE, identity } } : {}),
  });
  const events = new EventRecorder({
    sink: kubeEventSink(kc),
    reportingController: `${WEBSHOP_GROUP}/${OPERATOR_NAME}`,
    reportingInstance: identity,
    log,
  });
  const addControllers = (operatorUser: string): void => {
    addWebshopControllers({
      manager: mgr,
      api: kubeWebshopApi(kc),
      events,
      template: config.template,
      claimGraceMs: config.claimGraceMs,
      operatorUser,
      ...(config.apiServerUser ? { apiServerUser: config.apiServerUser } : {}),
    });
  };

  const health = await startHealthServer({
    host: config.healthHost,
    port: config.healthPort,
    ready: () => ({ ready: mgr.ready(), state: mgr.state }),
    registry: mgr.metrics.registry,
    error: OperatorError.kit,
  });
  log.info({ health: health.url, version, leaderElection: config.leaderElection, identity }, 'started');

  await runUntilStopped({
    log,
    run: async (stop) => {
      // Its user name differs by where it runs (a certificate's CN, a ServiceAccount's name): ask, as
      // long as the apiserver takes to answer. /healthz answers meanwhile; /readyz stays 503.
      const me = await askWhoAmI(new KubeClient(kc), log, stop);
      if (!me) return;
      log.info({ user: me.username }, 'authenticated');
      addControllers(me.username);
      await mgr.start(stop);
    },
    close: () => health.close(),
  });
}

/** whoAmI, retried with backoff until it answers or `stop` aborts (then undefined). */
async function askWhoAmI(client: KubeClient, log: Logger, stop: AbortSignal): Promise<UserInfo | undefined> {
  const delay = backoff({ baseMs: 200, maxMs: 10_000 });
  for (let attempt = 1; !stop.aborted; attempt++) {
    try {
      return await whoAmI(client, stop);
    } catch (err) {
      if (stop.aborted) break;
      log.warn({ err: (err as Error).message, attempt }, 'cannot ask the apiserver who this operator is; retrying');
      await sleep(realClock, delay(attempt), { signal: stop });
    }
  }
  return undefined;
}
