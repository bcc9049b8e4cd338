/** Waits for mail at the demo's SMTP server (its store under `<state-dir>/mail`). */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listMail, type StoredMail } from '@cnpaas/functions';

export function mailDir(stateDir: string): string {
  return path.join(stateDir, 'mail');
}

export async function waitForMail(
  stateDir: string,
  predicate: (m: StoredMail) => boolean,
  count = 1,
  timeoutMs = 60_000,
): Promise<StoredMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await listMail(mailDir(stateDir)).catch(() => [])).filter(predicate);
    if (found.length >= count) return found;
    if (Date.now() > deadline)
      throw new Error(`${count} mail(s) not received within ${timeoutMs} ms (got ${found.length})`);
    await sleep(200);
  }
}
