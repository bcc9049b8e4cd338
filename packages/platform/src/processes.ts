/**
 * Recognising and ending processes the platform started, by pid. A pid is
 * signalled only if its command line still names what we started: after a
 * reboot the same number may belong to someone else.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export function commandLineOf(pid: number): string | null {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

export function isOurProcess(pid: number | null | undefined, marker: string): pid is number {
  if (!pid || pid <= 0) return false;
  const args = commandLineOf(pid);
  return args !== null && args.includes(marker);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the pid is gone. */
export async function terminate(pid: number, marker: string, graceMs: number): Promise<'gone' | 'killed' | 'not-ours'> {
  if (!isOurProcess(pid, marker)) return 'not-ours';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, marker)) return 'gone';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'gone';
  }
  while (isOurProcess(pid, marker)) await sleep(50);
  return 'killed';
}
