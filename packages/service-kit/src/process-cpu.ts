/**
 * Reading /proc/<pid>/stat (Linux): the CPU seconds a process has used, for
 * the benchmarks' "where the time goes" (the platform's and the store's), and
 * its start time, which tells a process apart from a later one that got the
 * same pid. Its own entry point: the store's benchmarks load it without the
 * rest of the kit.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux the project runs on. */
export const TICKS_PER_SECOND = 100;

/**
 * Field `n` (1-based, as in proc(5)) of a /proc/<pid>/stat text, for n >= 3.
 * The command name (field 2) is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from its last closing parenthesis.
 */
function statField(stat: string, n: number): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[n - 3]);
}

/** CPU seconds in the text of a /proc/<pid>/stat file: utime (14) + stime (15). */
export function statCpuSeconds(stat: string): number {
  return (statField(stat, 14) + statField(stat, 15)) / TICKS_PER_SECOND;
}

/** When the process started, in clock ticks since boot (field 22, starttime); exec does not change it. */
export function statStartTicks(stat: string): number {
  return statField(stat, 22);
}

function readStat(pid: number | null): string | undefined {
  if (pid === null || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far, or undefined if the process is gone (or this is not Linux). */
export function processCpuSeconds(pid: number | null): number | undefined {
  const stat = readStat(pid);
  return stat === undefined ? undefined : statCpuSeconds(stat);
}

/** The process's start time in clock ticks since boot, or undefined if it is gone (or this is not Linux). */
export function processStartTicks(pid: number | null): number | undefined {
  const stat = readStat(pid);
  return stat === undefined ? undefined : statStartTicks(stat);
}
