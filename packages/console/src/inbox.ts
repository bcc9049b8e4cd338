/**
 * The demo SMTP sink's mailbox (the directory `cnpaas mail` reads, through
 * the same @cnpaas/functions reader), newest first. One message is parsed
 * with mailparser into its text and HTML parts: the browser shows text as
 * text and HTML only inside a sandboxed iframe without scripts.
 */
import { listMail, readMail, type StoredMail } from '@cnpaas/functions';
import { simpleParser } from 'mailparser';
import { ConsoleError, errorMessage } from './errors.js';

export interface MailSummary {
  id: string;
  from: string;
  to: string[];
  subject: string;
  receivedAt: string;
}

export interface MailMessage extends MailSummary {
  date: string;
  messageId: string;
  /** The text part, '' when there is none. */
  text: string;
  /** The HTML part, '' when there is none; rendered sandboxed. */
  html: string;
}

/** The SMTP sink's ids: a timestamp, a sequence number and 8 hex digits (mail-store.ts). */
const MAIL_ID = /^\d{8}T\d{9}Z-\d{4,}-[0-9a-f]{8}$/;

export function isMailId(value: string): boolean {
  return MAIL_ID.test(value);
}

export interface Inbox {
  list(): Promise<MailSummary[]>;
  read(id: string): Promise<MailMessage>;
}

export class DirectoryInbox implements Inbox {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async list(): Promise<MailSummary[]> {
    const all = await listMail(this.#dir).catch((err: unknown) => {
      throw new ConsoleError('CNPAAS_CONSOLE_MAIL', `cannot read the mail directory: ${errorMessage(err)}`, {
        httpStatus: 503,
        hint: 'pass --mail-dir with the SMTP sink directory',
        cause: err,
      });
    });
    // Ids sort by arrival; the newest first.
    return all.reverse().map(summary);
  }

  async read(id: string): Promise<MailMessage> {
    let found: { mail: StoredMail; raw: Buffer };
    try {
      found = await readMail(this.#dir, id);
    } catch (err) {
      throw new ConsoleError('CNPAAS_CONSOLE_NOT_FOUND', `no message ${id}`, {
        httpStatus: 404,
        hint: 'pick a message from the inbox list',
        cause: err,
      });
    }
    const parsed = await simpleParser(found.raw, { skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true });
    return {
      ...summary(found.mail),
      date: found.mail.date,
      messageId: found.mail.messageId,
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
    };
  }
}

function summary(m: StoredMail): MailSummary {
  return { id: m.id, from: m.from, to: m.to, subject: m.subject, receivedAt: m.receivedAt };
}
