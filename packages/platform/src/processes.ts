/**
 * Recognising and ending processes the platform started, by pid. A pid is
 * signalled only if it still runs what we started: its command line still
 * names it and, on Linux, it still has the start time recorded at spawn
 * (/proc/<pid>/stat starttime). The command line alone is not enough: after
 * a reboot, or once pids wrap, the same number can belong to another stack's
 * component with the very same command line. Where /proc is missing (macOS),
 * no start time is recorded and the command line is the only check.
 *
 * Between the check and the signal the pid could still change hands; Node
 * has no pidfd to close that window, but it is milliseconds, not a reboot.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { processStartTicks } from '@cnpaas/service-kit/process-cpu';

export function commandLineOf(pid: number): string | null {
  try {
    return (
      execFileSync('ps', ['-o', 'args=', '-p', String(pid)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || null
    );
  } catch {
    return null;
  }
}

/** What a recorded pid is now: still ours, gone, or taken by another process. */
export type ProcessIdentity = 'ours' | 'gone' | 'other';

/**
 * `startTicks` is what was recorded at spawn; null or undefined (a state file
 * written on macOS, or by an earlier cnpaas) skips that check.
 */
export function identifyProcess(
  pid: number | null | undefined,
  marker: string,
  startTicks?: number | null,
): ProcessIdentity {
  if (!pid || pid <= 0) return 'gone';
  const args = commandLineOf(pid);
  if (args === null) return 'gone';
  if (!args.includes(marker)) return 'other';
  if (startTicks !== null && startTicks !== undefined) {
    const now = processStartTicks(pid);
    if (now !== undefined && now !== startTicks) return 'other';
  }
  return 'ours';
}

export function isOurProcess(
  pid: number | null | undefined,
  marker: string,
  startTicks?: number | null,
): pid is number {
  return identifyProcess(pid, marker, startTicks) === 'ours';
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the pid is gone (or no longer ours). */
export async function terminate(
  pid: number,
  marker: string,
  graceMs: number,
  startTicks?: number | null,
): Promise<'gone' | 'killed' | 'not-ours'> {
  const ours = () => isOurProcess(pid, marker, startTicks);
  if (!ours()) return 'not-ours';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!ours()) return 'gone';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'gone';
  }
  while (ours()) await sleep(50);
  return 'killed';
}
