/**
 * Everything `cnpaas up` decides before anything starts: binaries, PKI,
 * ports, kubeconfigs and the process specs. Written to
 * `<state-dir>/run/plan.json` for the supervisor process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { auditArgs } from './audit-log.js';
import { ensureClusterPki, writeAdminKubeconfig, writeControllerManagerKubeconfig } from './cluster-pki.js';
import { composeServices } from './compose.js';
import { DEFAULT_SERVICES, loadServices, wantedPorts } from './compositions.js';
import { controlPlaneSpecs, type ProcessSpec } from './control-plane.js';
import { PlatformError } from './errors.js';
import { resolveKubeBinary, type KubeBinaryName, type ResolvedBinary } from './kube-binaries.js';
import { pinnedKubeVersion } from './kube-version.js';
import { allocatePorts, type Ports } from './ports.js';
import { displayPath, ensureStateDirs, type StatePaths } from './state-dir.js';
import { mergeTopologies } from './topology-merge.js';

export interface PlanOptions {
  paths: StatePaths;
  ports: 'auto' | 'fixed';
  /** The whole store routing; default the services' topology fragments, merged. */
  topology?: string;
  /** Packages (names or directories) that export a service composition; default DEFAULT_SERVICES (compositions.ts). */
  services?: readonly string[];
  /** `control-plane`: only the store, kube-apiserver and kube-controller-manager (on the services' topology). */
  components?: 'all' | 'control-plane';
  env?: NodeJS.ProcessEnv;
  say: (line: string) => void;
}

export interface StackPlan {
  version: string;
  ports: Ports;
  topology: string;
  /** The services composed, with the entry points they were loaded from. */
  services: Array<{ name: string; entry: string }>;
  server: string;
  kubectl: string;
  specs: ProcessSpec[];
}

/** Unix socket paths are limited to 107 bytes on Linux (104 on macOS). */
const MAX_SOCKET_PATH = 100;

export async function resolveAll(
  names: KubeBinaryName[],
  env: NodeJS.ProcessEnv | undefined,
  say: (line: string) => void,
) {
  const version = pinnedKubeVersion();
  const found: Partial<Record<KubeBinaryName, ResolvedBinary>> = {};
  for (const name of names) {
    const binary = await resolveKubeBinary(name, { version, env, onProgress: (line) => say(`  ${line}`) });
    say(`✓ ${name} v${version} from ${binary.source}`);
    found[name] = binary;
  }
  return { version, found: found as Record<KubeBinaryName, ResolvedBinary> };
}

export async function planStack(options: PlanOptions): Promise<StackPlan> {
  const { paths, say } = options;
  if (Buffer.byteLength(paths.storeSocket) > MAX_SOCKET_PATH) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_STATE',
      `the store's socket path ${paths.storeSocket} is longer than ${MAX_SOCKET_PATH} bytes`,
      { hint: 'use a shorter --state-dir (or CNPAAS_STATE_DIR)' },
    );
  }
  // First: a service that cannot be loaded is refused before anything is written or started.
  const services = await loadServices(options.services ?? DEFAULT_SERVICES);
  ensureStateDirs(paths);
  const { version, found } = await resolveAll(
    ['kube-apiserver', 'kube-controller-manager', 'kubectl'],
    options.env,
    say,
  );

  const pki = await ensureClusterPki(paths.pki);
  say(`✓ PKI in ${displayPath(paths.pki)} (cluster CA, front-proxy CA, service-account keys)`);

  say(`✓ services: ${services.map((s) => s.composition.name).join(', ')}`);
  const ports = await allocatePorts(options.ports, wantedPorts(services));
  const server = `https://127.0.0.1:${ports.apiserver}`;
  writeAdminKubeconfig(paths.kubeconfig, server, pki);
  const controllerManagerKubeconfig = writeControllerManagerKubeconfig(paths.pki, server, pki);

  const topology = path.resolve(
    options.topology ??
      mergeTopologies({
        fragments: services.flatMap(({ composition: c }) =>
          c.topology ? [{ service: c.name, file: c.topology }] : [],
        ),
        out: path.join(paths.run, 'topology.yaml'),
        dataDir: paths.data,
      }),
  );
  const composed =
    options.components === 'control-plane'
      ? null
      : await composeServices({ services, paths, ports, pki, server, topology });
  const specs = [
    ...controlPlaneSpecs({
      paths,
      ports,
      pki,
      topology,
      controllerManagerKubeconfig,
      binaries: {
        kubeApiserver: found['kube-apiserver'].path,
        kubeControllerManager: found['kube-controller-manager'].path,
      },
      apiserverArgs: [
        ...auditArgs(paths),
        ...(composed?.admissionConfigFile ? [`--admission-control-config-file=${composed.admissionConfigFile}`] : []),
      ],
    }),
    ...(composed?.specs ?? []),
  ];
  const plan: StackPlan = {
    version,
    ports,
    topology,
    services: services.map((s) => ({ name: s.composition.name, entry: s.entry })),
    server,
    kubectl: found.kubectl.path,
    specs,
  };
  writeFileSync(planFile(paths), `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
  return plan;
}

export function planFile(paths: StatePaths): string {
  return path.join(paths.run, 'plan.json');
}

export function readPlan(paths: StatePaths): StackPlan {
  try {
    return JSON.parse(readFileSync(planFile(paths), 'utf8')) as StackPlan;
  } catch (err) {
    throw new PlatformError('CNPAAS_PLATFORM_STATE', `${planFile(paths)} cannot be read: ${(err as Error).message}`, {
      hint: 'run cnpaas up',
    });
  }
}
