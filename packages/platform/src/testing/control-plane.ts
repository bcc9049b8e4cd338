/**
 * An envtest-style control plane for live tests: cnpaas-store and a real
 * kube-apiserver on it, on free loopback ports in a temp dir of their own,
 * with the given CRDs applied and Established. It reuses what `cnpaas up`
 * uses (the process specs, the cluster PKI, the supervisor, the pinned
 * binaries) but runs in the test's process, with no detached supervisor, no
 * state.json and no service: a test gets an API server and nothing else.
 *
 * kube-controller-manager is left out unless asked for, so a boot takes a few
 * seconds. Without it nothing garbage-collects, namespaces are never
 * finalized and no ServiceAccount token is minted: what a controller that
 * only needs API semantics (CRUD, watch, status, conflicts) does not miss.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { ensureClusterPki, writeAdminKubeconfig, writeControllerManagerKubeconfig } from '../cluster-pki.js';
import {
  apiserverSpec,
  controllerManagerSpec,
  storeSpec,
  type ProcessSpec,
  SELECTOR_PUSHDOWN_ARGS,
  STORE_PUSHDOWN_ARGS,
} from '../control-plane.js';
import { PlatformError } from '../errors.js';
import { resolveKubeBinary, type KubeBinaryName } from '../kube-binaries.js';
import { pinnedKubeVersion } from '../kube-version.js';
import { writeKubeconfig } from '../kubeconfig.js';
import { runKubectl } from '../kubectl.js';
import { FIXED_PORTS, freePort, type Ports } from '../ports.js';
import { statePaths } from '../state-dir.js';
import { Supervisor } from '../supervisor.js';

/** A CRD (or any object) to apply: a YAML or JSON file (several documents allowed), or the object itself. */
export type ManifestSource = string | Record<string, unknown>;

export interface StartControlPlaneOptions {
  /** Applied in order once kube-apiserver is ready; the call returns only when every CRD among them is Established. */
  crds?: ManifestSource[];
  /** The store's topology file; default: everything in one SQLite file (`main.db`). */
  topology?: string;
  /** Where the data, PKI, logs and kubeconfig go; default a new temp dir. A dir given here is kept by stop(). */
  stateDir?: string;
  /** Also run kube-controller-manager (namespace finalization, garbage collection, service-account tokens). */
  controllerManager?: boolean;
  /** Extra kube-apiserver flags, appended last (e.g. an --admission-control-config-file). */
  apiserverArgs?: string[];
  /** Environment for the started processes and the binary lookup (TEST_ASSET_*, KUBEBUILDER_ASSETS). */
  env?: NodeJS.ProcessEnv;
  /** Progress lines (binary lookup, each process ready); silent by default. */
  log?: (line: string) => void;
  /**
   * Run `count` store replicas instead of one, sharing the PostgreSQL
   * database `mainEndpoint` (the store's `--main-endpoint`, docs/replicas.md),
   * and give kube-apiserver all of them in `--etcd-servers`. Processes are
   * named `store-0`, `store-1`, …; a `topology` with backends is refused by
   * the store in this mode.
   */
  storeReplicas?: { mainEndpoint: string; count: number };
  /**
   * Run `kube-apiserver-pushdown` (scripts/k8s/pushdown/README.md), which
   * sends each LIST's and WATCH's selectors to the store, instead of the plain
   * build; with `--storage-media-type=application/json` (the store reads the
   * values it filters) and `--watch-cache=false` (with the cache on, nothing
   * is pushed down), and the store with its label index
   * (`--label-index=on`). `apiserverArgs` still come last.
   */
  selectorPushdown?: boolean;
}

export interface TestControlPlane {
  /** Path of an admin kubeconfig (`system:masters`, client certificate embedded). */
  kubeconfig: string;
  /** The same kubeconfig, loaded. */
  kubeConfig: KubeConfig;
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** The state dir: `logs/<name>.log` holds each process's output. */
  stateDir: string;
  /**
   * kube-apiserver's `--requestheader-client-ca-file`: the CA of the
   * front-proxy client certificate it presents to aggregated API servers
   * (their `--requestheader-client-ca-file`).
   */
  frontProxyCaFile: string;
  /** The pinned kubectl, for tests that want to drive the API as a person does. */
  kubectl: string;
  /** The pid of each started process, by name (`store`, `kube-apiserver`, `kube-controller-manager`). */
  pids(): Record<string, number | null>;
  /**
   * An embedded kubeconfig for another identity: a client certificate from the
   * control plane's CA with CN `user` (and O `groups`), so a test can run a
   * component as itself and find out whether its RBAC is enough.
   */
  kubeconfigFor(user: string, groups?: string[]): Promise<string>;
  /** Applies more manifests, waiting for CRDs among them to be Established. */
  apply(sources: ManifestSource[]): Promise<void>;
  /** Stops the processes this call started (by their pids, in reverse order) and removes a temp state dir. */
  stop(): Promise<void>;
}

/** Everything not routed elsewhere goes to main.db; an empty list is the store's plainest topology. */
const SINGLE_FILE_TOPOLOGY = 'backends: []\n';

export async function startControlPlane(options: StartControlPlaneOptions = {}): Promise<TestControlPlane> {
  const log = options.log ?? (() => {});
  // A short prefix: the store's unix socket lives under it, and socket paths are limited to ~100 bytes.
  const ownDir = options.stateDir === undefined;
  const root = ownDir ? realpathSync(mkdtempSync(path.join(tmpdir(), 'cnpaas-cp-'))) : path.resolve(options.stateDir!);
  const paths = statePaths(root);
  let supervisor: Supervisor | null = null;
  try {
    for (const dir of [paths.data, paths.logs, paths.run, paths.pki]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const apiserverBinary: KubeBinaryName = options.selectorPushdown ? 'kube-apiserver-pushdown' : 'kube-apiserver';
    const wanted: KubeBinaryName[] = [apiserverBinary, 'kubectl'];
    if (options.controllerManager) wanted.push('kube-controller-manager');
    const found = await resolveBinaries(wanted, options.env, log);
    const pki = await ensureClusterPki(paths.pki);
    const ports: Ports = {
      ...FIXED_PORTS,
      apiserver: await freePort(),
      storeMetrics: await freePort(),
      controllerManager: await freePort(),
    };
    const server = `https://127.0.0.1:${ports.apiserver}`;
    writeAdminKubeconfig(paths.kubeconfig, server, pki);
    let topology = options.topology;
    if (topology === undefined) {
      topology = path.join(paths.run, 'topology.yaml');
      writeFileSync(topology, SINGLE_FILE_TOPOLOGY);
    }
    const binaries = {
      kubeApiserver: found[apiserverBinary] ?? '',
      kubeControllerManager: found['kube-controller-manager'] ?? '',
    };
    const stores = options.storeReplicas
      ? await replicaSpecs({ paths, ports, topology, ...options.storeReplicas })
      : [
          {
            spec: storeSpec({
              paths,
              ports,
              topology,
              extraArgs: options.selectorPushdown ? STORE_PUSHDOWN_ARGS : [],
            }),
            socket: paths.storeSocket,
          },
        ];
    const specs: ProcessSpec[] = [
      ...stores.map((s) => s.spec),
      apiserverSpec({
        ports,
        pki,
        binaries,
        etcdServers: stores.map((s) => `unix://${s.socket}`).join(','),
        extraArgs: [...(options.selectorPushdown ? SELECTOR_PUSHDOWN_ARGS : []), ...(options.apiserverArgs ?? [])],
      }),
    ];
    if (options.controllerManager) {
      const controllerManagerKubeconfig = writeControllerManagerKubeconfig(paths.pki, server, pki);
      specs.push(controllerManagerSpec({ paths, ports, pki, topology, binaries, controllerManagerKubeconfig }));
    }
    const env = options.env;
    supervisor = new Supervisor({
      specs: env ? specs.map((s) => ({ ...s, env: { ...envStrings(env), ...s.env } })) : specs,
      logsDir: paths.logs,
      stopGraceMs: 10_000,
      onEvent: (e) => {
        if (e.type === 'ready') log(`✓ ${e.name} ready (${(e.ms / 1000).toFixed(1)} s)`);
        if (e.type === 'failed') log(`✗ ${e.name} failed: ${e.reason}\n${e.logTail.join('\n')}`);
      },
    });
    await supervisor.start();

    const kubectl = found.kubectl ?? '';
    const apply = (sources: ManifestSource[]) => applyAndWait({ kubectl, kubeconfig: paths.kubeconfig, sources });
    await apply(options.crds ?? []);

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(paths.kubeconfig);
    const running = supervisor;
    let stopped: Promise<void> | null = null;
    return {
      kubeconfig: paths.kubeconfig,
      kubeConfig,
      server,
      stateDir: root,
      frontProxyCaFile: pki.frontProxyCa.files.cert,
      kubectl,
      pids: () => Object.fromEntries(running.components().map((c) => [c.name, c.pid])),
      apply,
      kubeconfigFor: async (user, groups = []) => {
        const id = `user-${user.replace(/[^A-Za-z0-9.-]/g, '_')}`;
        const client = await pki.ca.issue(paths.pki, {
          name: id,
          commonName: user,
          organizations: groups,
          usage: 'client',
        });
        const file = path.join(paths.root, `${id}.kubeconfig`);
        writeKubeconfig(file, { server, caFile: pki.ca.files.cert, user, client, embed: true });
        return file;
      },
      stop: () => (stopped ??= shutdown(running, ownDir ? root : null)),
    };
  } catch (err) {
    await shutdown(supervisor, ownDir ? root : null);
    throw err;
  }
}

/** One store process per replica: each with its own data dir, socket and metrics port, all on one database. */
async function replicaSpecs(options: {
  paths: ReturnType<typeof statePaths>;
  ports: Ports;
  topology: string;
  mainEndpoint: string;
  count: number;
}): Promise<Array<{ spec: ProcessSpec; socket: string }>> {
  const out: Array<{ spec: ProcessSpec; socket: string }> = [];
  const main = mainEndpointArgs(options.mainEndpoint, options.paths.run);
  for (let i = 0; i < options.count; i++) {
    const paths = {
      ...options.paths,
      data: `${options.paths.data}-${i}`,
      storeSocket: path.join(options.paths.run, `store-${i}.sock`),
    };
    const ports = { ...options.ports, storeMetrics: await freePort() };
    const spec = storeSpec({ paths, ports, topology: options.topology });
    out.push({
      spec: { ...spec, name: `store-${i}`, command: [...spec.command, ...main] },
      socket: paths.storeSocket,
    });
  }
  return out;
}

/**
 * `--main-endpoint`, with a password in a URL moved into a 0600 file beside
 * the plan (`--main-password-file`): a command line is readable by every
 * user of the machine through ps.
 */
function mainEndpointArgs(endpoint: string, runDir: string): string[] {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return ['--main-endpoint', endpoint]; // not URL-shaped (a Go DSN): as given
  }
  if (!url.password) return ['--main-endpoint', endpoint];
  const file = path.join(runDir, 'main-endpoint.password');
  writeFileSync(file, `${decodeURIComponent(url.password)}\n`, { mode: 0o600 });
  url.password = '';
  return ['--main-endpoint', url.href, '--main-password-file', file];
}

/**
 * The pinned binaries, found as `cnpaas up` finds them. Not stack-plan's
 * `resolveAll`: that module loads the default services' compositions, which
 * a test of another service has no use for.
 */
async function resolveBinaries(
  names: KubeBinaryName[],
  env: NodeJS.ProcessEnv | undefined,
  log: (line: string) => void,
): Promise<Partial<Record<KubeBinaryName, string>>> {
  const version = pinnedKubeVersion();
  const found: Partial<Record<KubeBinaryName, string>> = {};
  for (const name of names) {
    found[name] = (await resolveKubeBinary(name, { version, env, onProgress: log })).path;
  }
  return found;
}

async function shutdown(supervisor: Supervisor | null, removeDir: string | null): Promise<void> {
  // The supervisor signals only the children it spawned, by their handles (so their pids).
  await supervisor?.stop();
  if (removeDir) rmSync(removeDir, { recursive: true, force: true });
}

function envStrings(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

interface ApplyOptions {
  kubectl: string;
  kubeconfig: string;
  sources: ManifestSource[];
}

/** A source as YAML text, and where it came from for error messages. */
function manifestText(source: ManifestSource): { text: string; origin: string } {
  if (typeof source === 'string') {
    // Read here rather than `kubectl -f FILE`, so one code path handles files and objects alike.
    return { text: readText(source), origin: source };
  }
  const meta = source.metadata as { name?: string } | undefined;
  return { text: stringify(source), origin: `${String(source.kind)} ${meta?.name ?? '(unnamed)'}` };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_COMPONENT_FAILED',
      `cannot read the manifest ${file}: ${(err as Error).message}`,
      { hint: 'pass startControlPlane an existing file, or the object itself' },
    );
  }
}

async function applyAndWait(options: ApplyOptions): Promise<void> {
  for (const source of options.sources) {
    const { text, origin } = manifestText(source);
    const run = async (args: string[]) => {
      const res = await runKubectl({ kubectl: options.kubectl, kubeconfig: options.kubeconfig, args, input: text });
      if (res.code !== 0) {
        throw new PlatformError(
          'CNPAAS_PLATFORM_COMPONENT_FAILED',
          `kubectl ${args[0]} of ${origin} failed: ${res.stderr.trim() || `exit ${res.code}`}`,
          { hint: 'fix the manifest; kubectl apply -f FILE against the test control plane shows the same error' },
        );
      }
    };
    await run(['apply', '-f', '-']);
    if (/^kind:\s*CustomResourceDefinition\s*$/m.test(text)) {
      // Established: the apiserver serves the kind, so the next line of the test may create one.
      await run(['wait', '--for=condition=Established', '--timeout=60s', '-f', '-']);
    }
  }
}
