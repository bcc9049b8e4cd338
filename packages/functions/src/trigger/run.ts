/**
 * Wires the cnpaas-trigger process: kubeconfig (identity cnpaas-trigger),
 * logger, the Manager with leader election on Lease
 * cnpaas-system/cnpaas-trigger, the HTTPTrigger controller, the health
 * server, and signals. Loaded by trigger-main.ts only after the flags parsed.
 *
 * Exit: 0 after SIGTERM/SIGINT (runners stop first, flushing their resume
 * points, then the Manager releases the Lease); 1 when the Manager fails
 * (leadership lost, caches never synced): the supervisor restarts it.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { EventRecorder, Manager, kubeEventSink } from '@cnpaas/operator';
import { readPem, runUntilStopped, startHealthServer } from '@cnpaas/service-kit';
import { loadKubeConfig } from '@cnpaas/service-kit/kubeconfig';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { kitError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { TriggerConfig } from './config.js';
import { addTriggerController } from './controller.js';
import type { ClientIdentity } from './http-delivery.js';
import { kubeListerWatcherFactory, kubeSecretReader, kubeStatusPatcher } from './kube.js';
import { TriggerMetrics } from './metrics.js';
import { PLATFORM_GROUP, TRIGGER_LEASE, TRIGGER_NAME } from './types.js';

const IDENTITY_HINT = 'point --client-cert-file/--client-key-file at the PEM files cnpaas up issued for cnpaas-trigger';

function readIdentity(config: TriggerConfig): ClientIdentity | undefined {
  if (!config.clientCertFile || !config.clientKeyFile) return undefined;
  return {
    cert: readPem(config.clientCertFile, { flag: 'client-cert-file', hint: IDENTITY_HINT, error: kitError }),
    key: readPem(config.clientKeyFile, { flag: 'client-key-file', hint: IDENTITY_HINT, error: kitError }),
  };
}

export async function run(config: TriggerConfig, version: string): Promise<void> {
  let identity = readIdentity(config);
  const kc = loadKubeConfig(config, { hint: 'pass --kubeconfig with the trigger\'s kubeconfig from cnpaas up', error: kitError });
  const log = createLogger({ level: config.logLevel, component: TRIGGER_NAME });
  const id = `${hostname()}_${randomUUID()}`;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cnpaas_trigger_process_' });
  const mgr = new Manager({
    kubeConfig: kc,
    log,
    registry,
    ...(config.leaderElection ? { leaderElection: { ...TRIGGER_LEASE, identity: id } } : {}),
  });
  const events = new EventRecorder({ sink: kubeEventSink(kc), reportingController: `${PLATFORM_GROUP}/${TRIGGER_NAME}`, reportingInstance: id, log });
  const triggers = addTriggerController({
    manager: mgr,
    listerWatcherFor: kubeListerWatcherFactory(kc),
    statusPatcher: kubeStatusPatcher(kc),
    readSecret: kubeSecretReader(kc),
    identity: () => identity,
    events,
    metrics: new TriggerMetrics(registry),
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
    error: kitError,
  });
  log.info({ health: health.url, version, leaderElection: config.leaderElection, identity: id, clientCertificate: !!identity }, 'started');

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
    reload: () => {
      identity = readIdentity(config);
    },
  });
}
