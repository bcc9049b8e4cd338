/**
 * CPU time of the processes under test, from /proc/<pid>/stat (utime +
 * stime), and of the benchmark's own client, so each phase can say who used
 * the two cores: the apiserver, the datastore or the load generator.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux the project runs on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used so far, or undefined if it is gone (or not Linux). */
export function processCpuSeconds(pid: number | null): number | undefined {
  if (pid === null) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  at: number;
  datastore: number | undefined;
  apiserver: number | undefined;
  client: number;
}

export function snapshot(pids: { datastore: number | null; apiserver: number | null }): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    datastore: processCpuSeconds(pids.datastore),
    apiserver: processCpuSeconds(pids.apiserver),
    client: (usage.user + usage.system) / 1e6,
  };
}

/** Cores used on average between two snapshots (1.0 = one full core). */
export interface CpuShare {
  datastore: number | undefined;
  apiserver: number | undefined;
  client: number;
}

export function share(from: CpuSnapshot, to: CpuSnapshot): CpuShare {
  const wall = (to.at - from.at) / 1000;
  const rate = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || wall <= 0 ? undefined : (b - a) / wall);
  return { datastore: rate(from.datastore, to.datastore), apiserver: rate(from.apiserver, to.apiserver), client: rate(from.client, to.client) ?? 0 };
}
