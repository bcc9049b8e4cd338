/**
 * One kube-apiserver on one datastore, for the benchmark: a temp state dir
 * with its own PKI and free loopback ports, the datastore (cnpaas-store as
 * `cnpaas up` runs it, or a real etcd) and the apiserver with
 * `--watch-cache=false`, both under the platform's Supervisor (which starts
 * them in order, waits for readiness and stops them in reverse).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BenchMachine, benchMachine } from '@cnpaas/storage-shim/bench-report';
import { etcdVersion, referenceEtcd } from '@cnpaas/storage-shim/testing';
import { ensureClusterPki, type ClusterPki } from '../src/cluster-pki.js';
import { webshopTopology } from '@cnpaas/webshop';
import {
  apiserverSpec,
  SELECTOR_PUSHDOWN_ARGS,
  STORE_PUSHDOWN_ARGS,
  storeSpec,
  type ProcessSpec,
} from '../src/control-plane.js';
import { freePort, PLATFORM_PORT_NAMES, type Ports } from '../src/ports.js';
import { resolveAll } from '../src/stack-plan.js';
import { ensureStateDirs, statePaths } from '../src/state-dir.js';
import { Supervisor } from '../src/supervisor.js';

export type DatastoreKind = 'store' | 'etcd';

export interface BenchStack {
  kind: DatastoreKind;
  server: string;
  pki: ClusterPki;
  /** The datastore's Prometheus endpoint. */
  datastoreMetricsUrl: string;
  /** Where the datastore keeps its files (the store's backends, or etcd's data dir), for disk use. */
  dataDir: string;
  /** Current pids by role, for the CPU figures. */
  pids(): { datastore: number | null; apiserver: number | null };
  stop(): Promise<void>;
}

export interface StackOptions {
  kind: DatastoreKind;
  apiserverBinary: string;
  etcdBinary: string;
  etcdVersion: string;
  /** Store only: write a V8 CPU profile of the store process into this dir. */
  storeProfileDir?: string;
  /** Store only: the topology file (default: the demo topology, as `cnpaas up` uses). */
  topology?: string;
  /**
   * kube-apiserver's watch cache. Off by default, so every LIST reaches the
   * datastore; the scale run keeps it on, as a default cluster has it.
   */
  watchCache?: boolean;
  /** Store only: `apiserverBinary` is kube-apiserver-pushdown; its flags (SELECTOR_PUSHDOWN_ARGS) replace watchCache. */
  selectorPushdown?: boolean;
  /**
   * Serve kube-apiserver's /debug/pprof (off in every other stack), for heap
   * profiles taken through the admin client while the load runs.
   */
  apiserverProfiling?: boolean;
  /** More kube-apiserver flags, given last (so they win over the stack's own). */
  apiserverArgs?: string[];
  log: (line: string) => void;
}

function etcdSpec(binary: string, version: string, dataDir: string, client: number, peer: number): ProcessSpec {
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  // 3.4 logs through capnslog unless asked for zap; 3.5+ only has zap.
  const logging = /^3\.4\./.test(version) ? ['--logger=zap', '--log-level=warn'] : ['--log-level=warn'];
  return {
    name: 'etcd',
    command: [
      binary,
      '--name=default',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      // Durability stays at etcd's default: fsync on every WAL write.
      ...logging,
    ],
    readyUrl: `${clientUrl}/health`,
    readyTimeoutMs: 30_000,
  };
}

export async function startStack(options: StackOptions): Promise<BenchStack> {
  // Short: the store's unix socket lives under it (≤ 100 bytes).
  const root = mkdtempSync(path.join(tmpdir(), `cnpb-${options.kind}-`));
  const paths = statePaths(root);
  ensureStateDirs(paths);
  const pki = await ensureClusterPki(paths.pki);
  // Only the apiserver and the store's metrics listen; the other components do not run here.
  const ports = Object.fromEntries(PLATFORM_PORT_NAMES.map((name) => [name, 0])) as Ports;
  ports.apiserver = await freePort();
  ports.storeMetrics = await freePort();

  let datastore: ProcessSpec;
  let etcdServers: string;
  let datastoreMetricsUrl: string;
  if (options.kind === 'store') {
    // Exactly as `cnpaas up` runs it: unix socket, durable (no --unsafe-no-fsync), demo topology.
    datastore = storeSpec({
      paths,
      ports,
      topology: options.topology ?? webshopTopology(),
      extraArgs: options.selectorPushdown ? STORE_PUSHDOWN_ARGS : [],
    });
    if (options.storeProfileDir) {
      mkdirSync(options.storeProfileDir, { recursive: true });
      const [node, ...rest] = datastore.command;
      datastore = {
        ...datastore,
        command: [node!, '--cpu-prof', `--cpu-prof-dir=${options.storeProfileDir}`, ...rest],
      };
    }
    etcdServers = `unix://${paths.storeSocket}`;
    datastoreMetricsUrl = `http://127.0.0.1:${ports.storeMetrics}/metrics`;
  } else {
    const dataDir = path.join(paths.data, 'etcd');
    datastore = etcdSpec(options.etcdBinary, options.etcdVersion, dataDir, await freePort(), await freePort());
    etcdServers = datastore.readyUrl.replace(/\/health$/, '');
    datastoreMetricsUrl = `${etcdServers}/metrics`;
  }
  const apiserver = apiserverSpec({
    ports,
    pki,
    etcdServers,
    binaries: { kubeApiserver: options.apiserverBinary, kubeControllerManager: '' },
    extraArgs: [
      // Unless asked for the cache, every LIST goes to the datastore.
      ...(options.selectorPushdown ? SELECTOR_PUSHDOWN_ARGS : options.watchCache ? [] : ['--watch-cache=false']),
      // After apiserverSpec's --profiling=false: the last one given wins.
      ...(options.apiserverProfiling ? ['--profiling=true'] : []),
      ...(options.apiserverArgs ?? []),
    ],
  });

  const supervisor = new Supervisor({
    specs: [datastore, apiserver],
    logsDir: paths.logs,
    stopGraceMs: 20_000,
    onEvent: (e) => {
      if (e.type === 'ready') options.log(`  ${e.name} ready in ${(e.ms / 1000).toFixed(1)} s`);
      if (e.type === 'failed') options.log(`  ${e.name} failed: ${e.reason}\n    ${e.logTail.join('\n    ')}`);
      if (e.type === 'exited') options.log(`  ${e.name} exited unexpectedly (code ${e.code}, signal ${e.signal})`);
    },
  });
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  try {
    await supervisor.start();
  } catch (err) {
    cleanup();
    throw err;
  }
  const pidOf = (name: string) => supervisor.components().find((c) => c.name === name)?.pid ?? null;
  return {
    kind: options.kind,
    server: `https://127.0.0.1:${ports.apiserver}`,
    pki,
    datastoreMetricsUrl,
    dataDir: options.kind === 'store' ? paths.data : path.join(paths.data, 'etcd'),
    pids: () => ({ datastore: pidOf(datastore.name), apiserver: pidOf(apiserver.name) }),
    stop: async () => {
      try {
        await supervisor.stop();
      } finally {
        cleanup();
      }
    },
  };
}

/** What a benchmark runs on and compares: the machine (logged), the kube-apiserver, and etcd (`--etcd` or the default). */
export async function benchSubjects(
  etcdFlag: string | undefined,
  log: (line: string) => void,
): Promise<{ info: BenchMachine; kubeVersion: string; apiserver: string; etcdBinary: string; etcdVer: string }> {
  const info = benchMachine();
  log(`machine: ${info.cpu}, ${info.cores} cores, ${info.kernel}, Node ${info.node}, load ${info.load}`);
  const { version: kubeVersion, found } = await resolveAll(['kube-apiserver'], process.env, log);
  const etcdBinary = etcdFlag ?? referenceEtcd();
  return { info, kubeVersion, apiserver: found['kube-apiserver'].path, etcdBinary, etcdVer: etcdVersion(etcdBinary) };
}
