/** `cnpaas mail [ID]`: what the demo's SMTP server received. */
import { listMail, readMail } from '@cnpaas/functions';
import { PlatformError } from './errors.js';
import { statePaths } from './state-dir.js';

export async function mail(stateDir: string, id: string | undefined, write: (text: string) => void): Promise<void> {
  const dir = statePaths(stateDir).mail;
  if (id) {
    const found = await readMail(dir, id).catch((err: unknown) => {
      throw new PlatformError(
        'CNPAAS_PLATFORM_USAGE',
        `no message ${id} in ${dir}: ${(err as Error).message}`,
        'run cnpaas mail to list the ids',
      );
    });
    write(found.raw.toString('utf8'));
    return;
  }
  const all = await listMail(dir).catch(() => []);
  if (all.length === 0) {
    write(`no mail in ${dir}\n`);
    return;
  }
  for (const m of all) write(`${m.id}  ${m.receivedAt}  ${m.to.join(', ').padEnd(28)}  ${m.subject}\n`);
}
