import { processCpuSeconds } from '@cnpaas/service-kit/process-cpu';

/**
 * utime + stime of the store under measurement, in milliseconds. A row's CPU
 * is a difference of two readings, so a store that has gone is an error here,
 * not a zero that would make the row look cheap.
 */
export function cpuMs(pid: number): number {
  const seconds = processCpuSeconds(pid);
  if (seconds === undefined) throw new Error(`no /proc/${pid}/stat: the store (pid ${pid}) has exited`);
  return seconds * 1000;
}
