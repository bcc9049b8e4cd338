import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { registry } from '../../src/drivers/registry.js';
import { StoreMetrics } from '../../src/metrics.js';
import { RevisionStore } from '../../src/mvcc/store.js';
import { WatchHub } from '../../src/mvcc/watch-hub.js';
import { emptyTopology } from '../../src/routing/topology.js';
import type { ServiceContext } from '../../src/server/context.js';
import { type GrpcServerOptions, type RunningGrpcServer, startGrpcServer } from '../../src/server/grpc-server.js';
import { HeaderFactory } from '../../src/server/header.js';

export interface InProcessOptions extends Pick<GrpcServerOptions, 'impl' | 'shutdownGraceMs'> {
  /** The request cap (--max-request-bytes); etcd's 1.5 MiB by default. */
  maxRequestBytes?: number;
  maxWatchesPerConnection?: number;
  ignoreSelectors?: boolean;
}

export interface InProcessServer extends RunningGrpcServer {
  /** The watch hub behind the server: a watcher still registered there has leaked. */
  hub: WatchHub;
  /**
   * Closes the hub and the store and removes the data dir. It leaves the
   * server itself to the caller, since some tests are about how it closes.
   */
  release(): Promise<void>;
}

/**
 * The store's gRPC server in this process, on a loopback port, over a
 * SQLite store in a temp dir without fsync: for unit tests of the gRPC
 * surface that need no child process.
 */
export async function startInProcessServer(options: InProcessOptions = {}): Promise<InProcessServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-in-process-'));
  const log = pino({ level: 'silent' });
  const store = new RevisionStore({ dataDir, topology: emptyTopology(), fsync: false, opener: registry, logger: log });
  const ctx: ServiceContext = {
    backend: store,
    headers: new HeaderFactory(store.clusterId, store.memberId, () => store.revision),
    maxTxnOps: 128,
    maxRequestBytes: options.maxRequestBytes ?? 1.5 * 1024 * 1024,
    clientUrls: [],
    log,
    metrics: new StoreMetrics(),
    ignoreSelectors: options.ignoreSelectors,
  };
  const hub = new WatchHub(store);
  const running = await startGrpcServer({
    ctx,
    hub,
    impl: options.impl,
    listenUrls: ['http://127.0.0.1:0'],
    tls: {},
    progressIntervalMs: 600_000,
    shutdownGraceMs: options.shutdownGraceMs,
    watchLimits: {
      maxPendingBytes: 64 * 1024 * 1024,
      maxWatchesPerConnection: options.maxWatchesPerConnection ?? 10_000,
    },
  });
  return Object.assign(running, {
    hub,
    async release() {
      hub.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
