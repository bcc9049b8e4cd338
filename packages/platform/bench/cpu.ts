/**
 * CPU time of the processes under test, from /proc/<pid>/stat (utime +
 * stime), and of the benchmark's own client, so each phase can say who used
 * the two cores: the apiserver, the datastore or the load generator.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { processCpuSeconds, statCpuSeconds, TICKS_PER_SECOND } from '@cnpaas/service-kit/process-cpu';

/** Busy CPU seconds of the whole machine (every process), from /proc/stat. */
export function machineCpuSeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    // cpu user nice system idle iowait irq softirq steal ...
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - f[3]! - f[4]!) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU seconds of every process on the machine, by pid, with its name (kernel threads included). */
export function allProcesses(): Map<number, { comm: string; cpu: number }> {
  const out = new Map<number, { comm: string; cpu: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.set(Number(entry), { comm, cpu: statCpuSeconds(stat) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface CpuSnapshot {
  /** The measured stack's datastore and apiserver. */
  pids: number[];
  processes: Map<number, { comm: string; cpu: number }>;
  at: number;
  machine: number | undefined;
  datastore: number | undefined;
  apiserver: number | undefined;
  client: number;
}

export function snapshot(pids: { datastore: number | null; apiserver: number | null }): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    pids: [pids.datastore, pids.apiserver].filter((p): p is number => p !== null),
    processes: allProcesses(),
    at: performance.now(),
    machine: machineCpuSeconds(),
    datastore: processCpuSeconds(pids.datastore),
    apiserver: processCpuSeconds(pids.apiserver),
    client: (usage.user + usage.system) / 1e6,
  };
}

/** Cores used on average between two snapshots (1.0 = one full core). */
export interface CpuShare {
  /** Everything else on the machine (other users' tests): the noise. */
  others: number | undefined;
  /** The biggest of those that lived through the phase, by name ("name cores"); short-lived ones (compilers, kubectl) are missing. */
  topOthers: string[];
  datastore: number | undefined;
  apiserver: number | undefined;
  client: number;
}

export function share(from: CpuSnapshot, to: CpuSnapshot): CpuShare {
  const wall = (to.at - from.at) / 1000;
  const rate = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || wall <= 0 ? undefined : (b - a) / wall;
  const datastore = rate(from.datastore, to.datastore);
  const apiserver = rate(from.apiserver, to.apiserver);
  const client = rate(from.client, to.client) ?? 0;
  const machine = rate(from.machine, to.machine);
  const others =
    machine === undefined ? undefined : Math.max(0, machine - (datastore ?? 0) - (apiserver ?? 0) - client);
  const ours = new Set([process.pid, ...to.pids]);
  const byComm = new Map<string, number>();
  for (const [pid, b] of to.processes) {
    if (ours.has(pid)) continue;
    const a = from.processes.get(pid);
    // By pid: a kworker's name changes with the workqueue it serves.
    const used = b.cpu - (a?.cpu ?? 0);
    if (used > 0 && wall > 0) byComm.set(b.comm, (byComm.get(b.comm) ?? 0) + used / wall);
  }
  const topOthers = [...byComm]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 4)
    .map(([comm, c]) => `${comm} ${c.toFixed(2)}`);
  return { others, topOthers, datastore, apiserver, client };
}
