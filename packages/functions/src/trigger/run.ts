/**
 * Wires the cnpaas-trigger process: kubeconfig (identity cnpaas-trigger),
 * logger, the Manager with leader election on Lease
 * cnpaas-system/cnpaas-trigger (`cnpaas-trigger-<class>` with
 * --trigger-class), the HTTPTrigger controller, the health server, and
 * signals. Loaded by trigger-main.ts only after the flags parsed.
 *
 * Exit: 0 after SIGTERM/SIGINT (runners stop first, flushing their resume
 * points, then the Manager releases the Lease); 1 when the Manager fails
 * (leadership lost, caches never synced): the supervisor restarts it.
 */
import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { EventRecorder, kubeEventSink, Manager } from '@cnpaas/kube';
import { runUntilStopped, startHealthServer } from '@cnpaas/service-kit';
import { loadKubeConfig } from '@cnpaas/service-kit/kubeconfig';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { FunctionsError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { TriggerConfig } from './config.js';
import { addTriggerController } from './controller.js';
import { kubeListerWatcherFactory, kubeSecretReader, kubeStatusPatcher } from './kube.js';
import { TriggerMetrics } from './metrics.js';
import { targetPolicy, type TargetPolicy } from './target-policy.js';
import { PLATFORM_GROUP, TRIGGER_NAME, triggerLease } from './types.js';

/**
 * The target policy: --allow-target, and the apiserver's address from the
 * kubeconfig, with the addresses its host name resolves to now (a target
 * that resolves there later is caught per connection by those addresses).
 */
async function policyFor(config: TriggerConfig, server: string | undefined): Promise<TargetPolicy> {
  let addresses: string[] = [];
  if (server) {
    const host = new URL(server).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) === 0) addresses = (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  }
  return targetPolicy({
    allow: config.allowTargets,
    ...(server ? { apiserverUrl: server } : {}),
    apiserverAddresses: addresses,
  });
}

export async function run(config: TriggerConfig, version: string): Promise<void> {
  const kc = loadKubeConfig(config, {
    hint: "pass --kubeconfig with the trigger's kubeconfig from cnpaas up",
    error: FunctionsError.kit,
  });
  const log = createLogger({ level: config.logLevel, component: TRIGGER_NAME });
  const targets = await policyFor(config, kc.getCurrentCluster()?.server);
  const id = `${hostname()}_${randomUUID()}`;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cnpaas_trigger_process_' });
  const lease = triggerLease(config.triggerClass);
  const mgr = new Manager({
    kubeConfig: kc,
    log,
    registry,
    ...(config.leaderElection ? { leaderElection: { ...lease, identity: id } } : {}),
  });
  const events = new EventRecorder({
    sink: kubeEventSink(kc),
    reportingController: `${PLATFORM_GROUP}/${TRIGGER_NAME}`,
    reportingInstance: id,
    log,
  });
  const triggers = addTriggerController({
    manager: mgr,
    listerWatcherFor: kubeListerWatcherFactory(kc),
    statusPatcher: kubeStatusPatcher(kc),
    ...(config.triggerClass ? { triggerClass: config.triggerClass } : {}),
    readSecret: kubeSecretReader(kc),
    targets,
    events,
    metrics: new TriggerMetrics({ registry }),
    clusterTriggerNamespaces: config.clusterTriggerNamespaces,
    statusIntervalMs: config.statusIntervalMs,
    maxPending: config.maxPending,
    log,
    version,
  });

  const health = await startHealthServer({
    host: config.healthHost,
    port: config.healthPort,
    ready: () => ({ ready: mgr.ready(), state: mgr.state }),
    registry,
    error: FunctionsError.kit,
  });
  log.info(
    {
      health: health.url,
      version,
      leaderElection: config.leaderElection,
      ...(config.leaderElection ? { lease: `${lease.namespace}/${lease.name}` } : {}),
      triggerClass: config.triggerClass ?? null,
      identity: id,
      allowTargets: config.allowTargets,
      apiserver: [...targets.apiserver],
    },
    'started',
  );

  await runUntilStopped({
    log,
    run: async (stop) => {
      // Runners first (their resume points are written), then the Manager releases the Lease.
      stop.addEventListener('abort', () => void triggers.stopAll().finally(() => mgr.stop()), { once: true });
      try {
        await mgr.start();
      } catch (err) {
        // Leadership lost or caches never synced: another replica may lead by now, so no grace for requests in flight.
        await triggers.stopAll(0).catch(() => undefined);
        throw err;
      }
    },
    close: async () => {
      await triggers.stopAll();
      await health.close();
    },
  });
}
