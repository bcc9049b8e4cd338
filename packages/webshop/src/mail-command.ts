/** `cnpaas mail [ID]`: what the demo's SMTP server received (a command the webshop adds to the CLI). */
import path from 'node:path';
import { listMail, readMail } from '@cnpaas/functions';
import type { ServiceCommand } from '@cnpaas/service-kit';
import { WebshopError } from './errors.js';

/** `<state-dir>/mail`: the SMTP sink writes there, the console's inbox and this command read it. */
export const MAIL_DIR = 'mail';

export async function mail(stateDir: string, id: string | undefined, write: (text: string) => void): Promise<void> {
  const dir = path.join(path.resolve(stateDir), MAIL_DIR);
  if (id) {
    const found = await readMail(dir, id).catch((err: unknown) => {
      throw new WebshopError('CNPAAS_WEBSHOP_NO_SUCH_MAIL', `no message ${id} in ${dir}: ${(err as Error).message}`, {
        hint: 'run cnpaas mail to list the ids',
      });
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

export const mailCommand: ServiceCommand = {
  name: 'mail',
  usage: 'mail [ID]',
  summary: "list the mail the demo's SMTP server received, or print one",
  run: ({ stateDir, args, write }) => mail(stateDir, args[0], write),
};
