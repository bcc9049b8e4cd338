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
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { EventRecorder, Manager, kubeEventSink } from '@cnpaas/operator';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { FunctionsError, errorMessage } from '../errors.js';
import { createLogger } from '../logger.js';
import type { TriggerConfig } from './config.js';
import { addTriggerController } from './controller.js';
import { startTriggerHealthServer } from './health-server.js';
import type { ClientIdentity } from './http-delivery.js';
import { kubeListerWatcherFactory, kubeSecretReader, kubeStatusPatcher } from './kube.js';
import { TriggerMetrics } from './metrics.js';
import { PLATFORM_GROUP, TRIGGER_LEASE, TRIGGER_NAME } from './types.js';

function loadKubeConfig(config: TriggerConfig): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (config.inCluster) kc.loadFromCluster();
    else if (config.kubeconfig!.includes(delimiter)) {
      process.env['KUBECONFIG'] = config.kubeconfig;
      kc.loadFromDefault();
    } else kc.loadFromFile(config.kubeconfig!);
  } catch (err) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_KUBECONFIG', `cannot load kubeconfig ${config.kubeconfig ?? '(in-cluster)'}: ${errorMessage(err)}`, {
      hint: 'pass --kubeconfig with the trigger\'s kubeconfig from cnpaas up',
      cause: err,
    });
  }
  if (!kc.getCurrentCluster()) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_KUBECONFIG', `kubeconfig ${config.kubeconfig ?? '(in-cluster)'} has no current cluster`, { hint: 'set current-context in it' });
  }
  return kc;
}

function readIdentity(config: TriggerConfig): ClientIdentity | undefined {
  if (!config.clientCertFile || !config.clientKeyFile) return undefined;
  try {
    return { cert: readFileSync(config.clientCertFile), key: readFileSync(config.clientKeyFile) };
  } catch (err) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_TLS', `cannot read the client certificate: ${errorMessage(err)}`, {
      hint: 'point --client-cert-file/--client-key-file at the PEM files cnpaas up issued for cnpaas-trigger',
      cause: err,
    });
  }
}

export async function run(config: TriggerConfig, version: string): Promise<void> {
  let identity = readIdentity(config);
  const kc = loadKubeConfig(config);
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

  const health = await startTriggerHealthServer({
    host: config.healthHost,
    port: config.healthPort,
    ready: () => ({ ready: mgr.ready(), state: mgr.state }),
    registry,
  });
  log.info({ health: health.url, version, leaderElection: config.leaderElection, identity: id, clientCertificate: !!identity }, 'started');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    // Runners first (their resume points are written), then the Manager releases the Lease.
    void triggers.stopAll().finally(() => void mgr.stop());
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    try {
      identity = readIdentity(config);
      log.info('client certificate reloaded');
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'client certificate reload failed; keeping the current one');
    }
  });

  try {
    await mgr.start();
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'trigger failed; exiting so the supervisor restarts it');
    await triggers.stopAll(0).catch(() => undefined);
    await health.close();
    process.exit(1);
  }
  await triggers.stopAll();
  await health.close();
  log.info('stopped');
  process.exit(0);
}
