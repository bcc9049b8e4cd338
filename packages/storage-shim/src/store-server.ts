import { existsSync, statSync } from 'node:fs';
import { makePrivateDir } from './drivers/private-files.js';
import type { Server } from 'node:http';
import pino, { type Logger } from 'pino';
import type { StoreConfig } from './config/flags.js';
import type { ConnectedEndpoint } from './drivers/connection-settings.js';
import { checkListenPolicy } from './config/listen-policy.js';
import { StoreError } from './errors.js';
import { startMetricsServers } from './http/metrics-server.js';
import { StoreMetrics } from './metrics.js';
import { AutoCompactor } from './mvcc/auto-compactor.js';
import { RevisionStore } from './mvcc/store.js';
import { WatchHub } from './mvcc/watch-hub.js';
import { emptyTopology, loadTopology } from './routing/topology.js';
import type { ServiceContext } from './server/context.js';
import { startGrpcServer } from './server/grpc-server.js';
import { HeaderFactory } from './server/header.js';
import { Checkpointer } from './drivers/checkpointer.js';
import { EndpointError, registry, resolveEndpoint } from './drivers/registry.js';

export interface StoreServer {
  urls: string[];
  store: RevisionStore;
  /** Graceful stop: in-flight batch finishes, watchers get a cancel, files close. */
  close(): Promise<void>;
}

/** --main-endpoint, checked like a topology endpoint; the error names the flag, never the password. */
function mainEndpoint(config: StoreConfig): ConnectedEndpoint {
  const warnings: string[] = [];
  try {
    const endpoint = resolveEndpoint(config.mainEndpoint!, {
      dataDir: config.dataDir,
      warnings,
      ...(config.mainPassword ? { connection: { password: config.mainPassword } } : {}),
    });
    if (endpoint.scheme !== 'postgres' && endpoint.scheme !== 'mysql') {
      throw new EndpointError(
        `${endpoint.display} is not a PostgreSQL, MySQL or MariaDB database`,
        'replicas share the main backend in a network database: give a postgres:// or mysql:// endpoint, or leave --main-endpoint out',
      );
    }
    // The password's source travels with the endpoint; the driver reads it when it connects.
    return config.mainPassword ? { ...endpoint, connection: { password: config.mainPassword } } : endpoint;
  } catch (err) {
    if (!(err instanceof EndpointError)) throw err;
    throw new StoreError('CNPAAS_STORE_BAD_FLAG', `--main-endpoint: ${err.reason}`, err.hint);
  }
}

/** Wires the layers together: flags → topology → revision store → gRPC and metrics servers. */
export async function startStoreServer(
  config: StoreConfig,
  log: Logger = pino({ level: config.logLevel }),
): Promise<StoreServer> {
  // Before any file is opened: a refused listener should leave nothing behind.
  for (const w of checkListenPolicy(config)) log.warn(w);
  if (existsSync(config.dataDir) && !statSync(config.dataDir).isDirectory()) {
    throw new StoreError(
      'CNPAAS_STORE_DATA_DIR',
      `--data-dir ${config.dataDir} is a file`,
      'point --data-dir at a directory',
    );
  }
  makePrivateDir(config.dataDir);
  if ((statSync(config.dataDir).mode & 0o077) !== 0) {
    // etcd warns the same way; changing the mode of a directory the operator chose is left to them.
    log.warn(
      { dataDir: config.dataDir, mode: (statSync(config.dataDir).mode & 0o777).toString(8) },
      'the data dir is readable by other users; the database files are 0600, but run chmod 700 on the directory to keep their names private too',
    );
  }
  const topology = config.topologyFile ? loadTopology(config.topologyFile, config.dataDir) : emptyTopology();
  for (const w of topology.warnings) log.warn(w);
  if (!config.fsync)
    log.warn('--unsafe-no-fsync: commits are not fsynced; acknowledged writes can be lost on power loss (tests only)');

  const store = new RevisionStore({
    dataDir: config.dataDir,
    topology,
    mainEndpoint: config.mainEndpoint === undefined ? undefined : mainEndpoint(config),
    fsync: config.fsync,
    walSizeLimitBytes: config.walSizeLimitBytes,
    labelIndex: config.labelIndex,
    opener: registry,
    logger: log,
    maxLeases: config.maxLeases,
  });
  // A txn over several backends that a crash left in some of them is completed before anyone can read it.
  await store.recovered;
  const metrics = new StoreMetrics();
  const hub = new WatchHub(store);
  const ctx: ServiceContext = {
    backend: store,
    headers: new HeaderFactory(store.clusterId, store.memberId, () => store.revision),
    maxTxnOps: config.maxTxnOps,
    maxRequestBytes: config.maxRequestBytes,
    clientUrls: [],
    log,
    metrics,
    ignoreSelectors: !config.selectorPushdown,
  };
  let closing = false;
  const grpcServer = await startGrpcServer({
    ctx,
    hub,
    listenUrls: config.listenClientUrls,
    impl: config.grpcImpl,
    progressIntervalMs: config.progressIntervalMs,
    watchLimits: {
      maxPendingBytes: config.maxWatchPendingBytes,
      maxWatchesPerConnection: config.maxWatchesPerConnection,
    },
    tls: {
      certFile: config.certFile,
      keyFile: config.keyFile,
      trustedCaFile: config.trustedCaFile,
      clientCertAuth: config.clientCertAuth,
    },
  }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  let metricsServers: Server[] = [];
  try {
    metricsServers = await startMetricsServers({
      urls: config.listenMetricsUrls,
      metrics,
      ready: async () => {
        if (closing) return { ok: false, detail: 'stopping' };
        const down = await store.unreachableBackends();
        if (down.length === 0) return { ok: true, detail: 'ok' };
        // Named by backend and endpoint (never a password), so the operator sees which database is away.
        return {
          ok: false,
          detail: down.map((d) => `backend ${d.backend} (${d.location}) unreachable: ${d.reason}`).join('\n'),
        };
      },
      beforeScrape: () => {
        metrics.revision.set(store.revision);
        metrics.compactRevision.set(store.compactRevision);
        metrics.writes.set(store.stats.writes);
        metrics.batches.set(store.stats.batches);
        metrics.fsyncs.set(store.stats.fsyncs);
        metrics.watchers.set(grpcServer.sessions.watcherCount);
        metrics.dbSize.set(store.size().total);
        for (const [backend, n] of Object.entries(store.keyCounts())) metrics.keys.set({ backend }, n);
      },
    });
  } catch (err) {
    await grpcServer.close();
    await store.close();
    throw err;
  }

  let leasesFailing = false;
  const leaseTimer = setInterval(() => {
    try {
      store.expireLeases();
      leasesFailing = false;
    } catch (err) {
      // Replicas read expired leases from the database; while it is unreachable, they wait for it.
      // One line per outage, not one every 500 ms.
      if (!leasesFailing) log.warn({ err }, 'cannot look for expired leases; trying again every 500 ms');
      leasesFailing = true;
    }
  }, 500);
  leaseTimer.unref();
  const checkpointer = new Checkpointer({
    paths: () => store.filePaths(),
    intervalMs: 1000,
    walSizeLimitBytes: config.walSizeLimitBytes,
    log,
  });
  const compactor =
    config.autoCompactionRetention > 0
      ? new AutoCompactor({
          mode: config.autoCompactionMode,
          retention: config.autoCompactionRetention,
          log,
          revision: () => store.revision,
          compactRevision: () => store.compactRevision,
          compact: (rev) => store.compact(rev, false),
        })
      : undefined;

  log.info(
    {
      urls: grpcServer.urls,
      dataDir: config.dataDir,
      backends: store.backendNames,
      revision: store.revision,
      grpcImpl: config.grpcImpl,
      selectorPushdown: config.selectorPushdown,
    },
    'cnpaas-store ready',
  );
  return {
    urls: grpcServer.urls,
    store,
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(leaseTimer);
      compactor?.stop();
      await grpcServer.close();
      for (const s of metricsServers) await new Promise((r) => s.close(r));
      hub.close();
      await checkpointer.close();
      await store.close();
    },
  };
}
