/**
 * Wires the running process: the kubeconfig, the topology, the inbox, the
 * data fabric's watches and the server; runs until SIGTERM/SIGINT. Loaded
 * by main.ts only after the flags parsed, so `--help` and flag errors answer
 * without loading fastify and client-node.
 */
import { KubeClient } from '@cnpaas/kube';
import { runUntilStopped } from '@cnpaas/service-kit';
import { loadKubeConfig } from '@cnpaas/service-kit/kubeconfig';
import { assembleConsole } from './assemble.js';
import type { ConsoleConfig } from './config.js';
import { HttpConsoleKube } from './console-kube.js';
import { ConsoleError } from './errors.js';
import { DirectoryInbox } from './inbox.js';
import { fetchBackendKeys } from './store-keys.js';
import { createLogger } from './logger.js';
import { ConsoleMetrics } from './metrics.js';
import { loadBackendMap, singleBackend } from './topology.js';

export async function run(config: ConsoleConfig, version: string): Promise<void> {
  const log = createLogger({ level: config.logLevel });
  const kc = loadKubeConfig(config, {
    hint: "pass --kubeconfig with the console's own identity (cnpaas-console)",
    error: ConsoleError.kit,
  });
  const backends = config.topology ? loadBackendMap(config.topology) : singleBackend();
  const kube = new HttpConsoleKube(new KubeClient(kc));
  const storeMetricsUrl = config.storeMetricsUrl;
  const { fabric, history, server } = assembleConsole({
    kube,
    log,
    fabric: { backends, ...(storeMetricsUrl ? { storeKeys: () => fetchBackendKeys(storeMetricsUrl) } : {}) },
    host: config.host,
    token: config.token,
    inbox: config.mailDir ? new DirectoryInbox(config.mailDir) : undefined,
    metrics: new ConsoleMetrics({ processMetrics: true }),
  });
  fabric.start();
  const url = await server.listen({ host: config.host, port: config.port });
  log.info(
    {
      url,
      version,
      backends: backends.names,
      tokenRequired: server.access.tokenRequired,
      inbox: config.mailDir !== undefined,
      kubeServer: kc.getCurrentCluster()?.server,
    },
    'listening',
  );
  await runUntilStopped({
    log,
    close: async () => {
      await server.close();
      await fabric.close();
      history.close();
      kube.close();
    },
  });
}
