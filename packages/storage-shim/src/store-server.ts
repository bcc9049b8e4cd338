import { existsSync, statSync } from 'node:fs';
import { makePrivateDir } from './drivers/private-files.js';
import type { Server } from 'node:http';
import pino, { type Logger } from 'pino';
import type { StoreConfig } from './config/flags.js';
import { type ConnectedEndpoint, poolOf } from './drivers/connection-settings.js';
import { checkListenPolicy } from './config/listen-policy.js';
import { StoreError } from './errors.js';
import { startMetricsServers } from './http/metrics-server.js';
import { StoreMetrics } from './metrics.js';
import { AutoCompactor } from './mvcc/auto-compactor.js';
import { RevisionStore } from './mvcc/store.js';
import { WatchHub } from './mvcc/watch-hub.js';
import { encodeFingerprint, routingFingerprint } from './routing/routing-fingerprint.js';
import { DEFAULT_BACKEND, type Topology, emptyTopology, loadTopology } from './routing/topology.js';
import type { ServiceContext } from './server/context.js';
import { startGrpcServer } from './server/grpc-server.js';
import { HeaderFactory } from './server/header.js';
import { Checkpointer } from './drivers/checkpointer.js';
import { logsFailedStatements } from './drivers/postgres-driver.js';
import { EndpointError, databaseIdentity, registry, resolveEndpoint } from './drivers/registry.js';
import { type SharedMainEndpoint, SharedTopology } from './drivers/shared-topology.js';

export interface StoreServer {
  urls: string[];
  store: RevisionStore;
  /**
   * Settles only if the server stopped by itself, with why: a replica whose
   * topology is no longer the one recorded in the main database (another
   * replica was started with --replace-topology). It has closed by then.
   */
  stoppedItself: Promise<StoreError>;
  /**
   * SIGHUP: re-reads the topology file. One store adds the backends appended
   * at its end (RevisionStore.reloadTopology); a replica accepts a file that
   * routes keys as before and refuses any other. Returns the backends added.
   */
  reloadTopology(): string[];
  /** Graceful stop: in-flight batch finishes, watchers get a cancel, files close. */
  close(): Promise<void>;
}

/**
 * --main-endpoint, checked like a topology endpoint; the error names the flag, never the password.
 * It carries the topology the replicas must share to the shared meta that checks it (shared-topology.ts).
 */
function mainEndpoint(config: StoreConfig, topology: SharedTopology): SharedMainEndpoint {
  const warnings: string[] = [];
  try {
    // The password's source and the pool travel with the endpoint; the driver reads the password when it connects.
    const connection = {
      ...(config.mainPassword ? { password: config.mainPassword } : {}),
      pool: poolOf(config.mainMaxOpen),
    };
    const endpoint = resolveEndpoint(config.mainEndpoint!, { dataDir: config.dataDir, warnings, connection });
    if (endpoint.scheme !== 'postgres' && endpoint.scheme !== 'mysql') {
      throw new EndpointError(
        `${endpoint.display} is not a PostgreSQL, MySQL or MariaDB database`,
        'replicas share the main backend in a network database: give a postgres:// or mysql:// endpoint, or leave --main-endpoint out',
      );
    }
    const connected: ConnectedEndpoint = { ...endpoint, connection };
    return { ...connected, topology };
  } catch (err) {
    if (!(err instanceof EndpointError)) throw err;
    throw new StoreError('CNPAAS_STORE_BAD_FLAG', `--main-endpoint: ${err.reason}`, err.hint);
  }
}

/** One of the main backend's settings (BackendDriver.settings), or undefined where it cannot be read now. */
function mainSetting(store: RevisionStore, name: string): unknown {
  try {
    return store.settingsOf(DEFAULT_BACKEND)?.[name];
  } catch {
    // Read only to warn: a database that went away since it opened is reported by the readiness check.
    return undefined;
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

  const shared = config.mainEndpoint === undefined ? undefined : sharedTopology(config, topology);
  const store = new RevisionStore({
    dataDir: config.dataDir,
    topology,
    mainEndpoint: shared && mainEndpoint(config, shared),
    fsync: config.fsync,
    walSizeLimitBytes: config.walSizeLimitBytes,
    labelIndex: config.labelIndex,
    opener: registry,
    logger: log,
    maxLeases: config.maxLeases,
  });
  // A txn over several backends that a crash left in some of them is completed before anyone can read it.
  await store.recovered;
  try {
    // No stored key may change backend: the store moves no data. Checked only when the routing changed.
    if (!shared) {
      store.adoptRouting({
        encoded: encodeFingerprint(routingFingerprint(topology, databaseIdentity)),
        source: config.topologyFile ? `--topology ${config.topologyFile}` : 'no --topology (every key in main.db)',
      });
    } else if (shared.replacesRecorded) {
      store.checkPlacement(shared.source);
    }
    // Every backend opened: only now is this replica's topology recorded as the one all replicas share.
    shared?.record();
  } catch (err) {
    await store.close();
    throw err;
  }
  if (shared && logsFailedStatements(mainSetting(store, 'logMinErrorStatement'))) {
    log.warn(
      'PostgreSQL logs the text of each statement that fails (log_min_error_statement is error or lower): a refused optimistic write is one, and its text holds the keys and values it writes, Secrets included. To keep them out of the server log, run once as a superuser: ALTER ROLE <the store user> SET log_min_error_statement = log',
    );
  }
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
  // /metrics and /readyz listen first: once the client port accepts a connection, every port of the store
  // does (a supervisor or test that reads the metrics as soon as the store answers finds them there).
  let watcherCount = () => 0;
  let metricsServers: Server[] = [];
  const closeMetrics = async () => {
    for (const s of metricsServers) await new Promise((r) => s.close(r));
  };
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
        metrics.optimistic.set(store.stats.optimistic);
        metrics.optimisticRefused.set(store.stats.refused);
        metrics.watchers.set(watcherCount());
        metrics.dbSize.set(store.size().total);
        for (const [backend, n] of Object.entries(store.keyCounts())) metrics.keys.set({ backend }, n);
      },
    });
  } catch (err) {
    await store.close();
    throw err;
  }

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
    await closeMetrics();
    await store.close();
    throw err;
  });
  watcherCount = () => grpcServer.sessions.watcherCount;

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

  let stopItself: (reason: StoreError) => void = () => {};
  const stoppedItself = new Promise<StoreError>((resolve) => (stopItself = resolve));
  shared?.onStale((reason) => {
    log.error({ err: reason.describe() }, "the recorded topology is not this replica's any more; stopping");
    // Out of the request that noticed it: closing waits for that request's batch to end.
    setImmediate(() => void server.close().finally(() => stopItself(reason)));
  });

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
  const server: StoreServer = {
    urls: grpcServer.urls,
    store,
    stoppedItself,
    reloadTopology() {
      if (!shared) return store.reloadTopology();
      if (!config.topologyFile) {
        throw new StoreError(
          'CNPAAS_STORE_TOPOLOGY_RELOAD',
          'the replica was started without --topology, so there is no file to read again',
          'change the topology of replicas as docs/replicas.md describes ("Changing the topology")',
        );
      }
      const next = loadTopology(config.topologyFile, config.dataDir);
      shared.checkReload(routingFingerprint(next, databaseIdentity), config.topologyFile);
      // Routed as before: connection settings (passwords, TLS, timeouts) are read when a backend opens.
      return [];
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(leaseTimer);
      compactor?.stop();
      await grpcServer.close();
      await closeMetrics();
      hub.close();
      await checkpointer.close();
      await store.close();
    },
  };
  return server;
}

/** What the replicas of one main database must agree on, from this replica's topology and flags. */
function sharedTopology(config: StoreConfig, topology: Topology): SharedTopology {
  return new SharedTopology({
    fingerprint: routingFingerprint(topology, databaseIdentity),
    file: topology.file,
    replace: config.replaceTopology,
  });
}
