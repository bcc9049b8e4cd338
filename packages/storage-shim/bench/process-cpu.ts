import { readFileSync } from 'node:fs';
import { processCpuSeconds, statCpuSeconds } from '@cnpaas/service-kit/process-cpu';

/**
 * utime + stime of the store under measurement, in milliseconds; with
 * `thread`, of that thread alone (a process's main thread has the process's
 * ID: /proc/<pid>/task/<pid>). A row's CPU is a difference of two readings,
 * so a store that has gone is an error here, not a zero that would make the
 * row look cheap.
 */
export function cpuMs(pid: number, thread?: number): number {
  const seconds = thread === undefined ? processCpuSeconds(pid) : threadCpuSeconds(pid, thread);
  if (seconds === undefined) throw new Error(`no /proc/${pid}/stat: the store (pid ${pid}) has exited`);
  return seconds * 1000;
}

function threadCpuSeconds(pid: number, thread: number): number | undefined {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}
