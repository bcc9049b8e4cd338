/** CPU seconds a process has used (utime + stime from /proc/<pid>/stat), for the benchmarks' "where the time goes". */
import { readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux the project runs on. */
export const TICKS_PER_SECOND = 100;

/** CPU seconds in the text of a /proc/<pid>/stat file. */
export function statCpuSeconds(stat: string): number {
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds used so far, or undefined if the process is gone (or this is not Linux). */
export function processCpuSeconds(pid: number | null): number | undefined {
  if (pid === null) return undefined;
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}
