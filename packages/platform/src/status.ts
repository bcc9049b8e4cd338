/**
 * `cnpaas status`: each component's pid, phase and live health, the
 * topology, and how many keys each backend holds (from the store's
 * /metrics: the platform never opens the store's files itself).
 */
import path from 'node:path';
import { probe } from './health.js';
import { isOurProcess } from './processes.js';
import { readState, statePaths } from './state-dir.js';
import { supervisorMarker } from './supervise.js';
import { consoleUrl } from './web-console.js';

export interface ComponentReport {
  name: string;
  pid: number | null;
  phase: string;
  restarts: number;
  healthy: boolean;
  detail: string;
}

export interface StatusReport {
  stateDir: string;
  running: boolean;
  supervisorPid: number | null;
  readyAt: string | null;
  ports: Record<string, number>;
  topology: string | null;
  components: ComponentReport[];
  /** Live keys per backend, or null when the store does not answer. */
  backendKeys: Record<string, number> | null;
  /** The web console's address while the stack runs (`cnpaas console`), else null. */
  consoleUrl: string | null;
}

export async function status(stateDir: string): Promise<StatusReport> {
  const paths = statePaths(stateDir);
  const state = readState(paths);
  if (!state) {
    return {
      stateDir: paths.root,
      running: false,
      supervisorPid: null,
      readyAt: null,
      ports: {},
      topology: null,
      components: [],
      backendKeys: null,
      consoleUrl: null,
    };
  }
  const running =
    !!state.supervisor && isOurProcess(state.supervisor.pid, supervisorMarker(paths), state.supervisor.startTicks);
  // The cluster CA, for state files written before each component recorded its own.
  const caFile = path.join(paths.pki, 'ca.crt');
  const components: ComponentReport[] = [];
  for (const [name, c] of Object.entries(state.components)) {
    const alive = isOurProcess(c.pid, c.executable, c.startTicks);
    const health = alive ? await probe(c.healthUrl, c.healthCaFile ?? caFile) : { ok: false, detail: 'not running' };
    components.push({
      name,
      pid: alive ? c.pid : null,
      phase: running ? c.phase : 'stopped',
      restarts: c.restarts,
      healthy: health.ok,
      detail: health.detail,
    });
  }
  return {
    stateDir: paths.root,
    running,
    supervisorPid: running ? state.supervisor!.pid : null,
    readyAt: running ? state.readyAt : null,
    ports: state.ports,
    topology: state.topology,
    components,
    backendKeys: state.ports.storeMetrics ? await backendKeys(state.ports.storeMetrics) : null,
    consoleUrl: running ? consoleUrl(state) : null,
  };
}

async function backendKeys(port: number): Promise<Record<string, number> | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return null;
    const out: Record<string, number> = {};
    for (const m of (await res.text()).matchAll(/^cnpaas_store_keys\{backend="([^"]+)"\} (\d+)$/gm))
      out[m[1]!] = Number(m[2]);
    return out;
  } catch {
    return null;
  }
}

export function formatStatus(report: StatusReport): string {
  const lines = [
    `cnpaas in ${report.stateDir}: ${report.running ? `running (supervisor pid ${report.supervisorPid}${report.readyAt ? `, ready since ${report.readyAt}` : ', starting'})` : 'not running'}`,
  ];
  if (report.components.length > 0) {
    const width = Math.max(...report.components.map((c) => c.name.length));
    for (const c of report.components) {
      lines.push(
        `  ${c.name.padEnd(width)}  ${c.healthy ? 'healthy' : 'unhealthy'}  ${c.phase.padEnd(10)} pid ${String(c.pid ?? '-').padEnd(7)} restarts ${c.restarts}  (${c.detail})`,
      );
    }
  }
  if (report.topology) lines.push(`topology ${report.topology}`);
  if (report.backendKeys) {
    for (const [backend, n] of Object.entries(report.backendKeys))
      lines.push(`  backend ${backend.padEnd(12)} ${n} keys`);
  }
  if (report.running && report.ports.apiserver)
    lines.push(`kube-apiserver https://127.0.0.1:${report.ports.apiserver}`);
  if (report.consoleUrl) lines.push(`web console ${report.consoleUrl}`);
  return lines.join('\n');
}
