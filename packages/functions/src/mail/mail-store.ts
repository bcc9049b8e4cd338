/**
 * The SMTP sink's mailbox on disk: one `<id>.eml` (the message exactly as
 * received) and one `<id>.json` (a small index entry) per accepted message.
 * `cnpaas mail` and the tests read it with `listMail` / `readMail`.
 *
 * The .eml is written first and the .json last, each through a temp file
 * and a rename, so a reader never sees a half-written message: an entry is
 * listed only once its index file exists, and then its .eml is complete.
 * Ids sort by arrival time, so `listMail` returns messages in order.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { FunctionsError, errorMessage } from '../errors.js';

export interface StoredMail {
  /** e.g. 20260101T120000123Z-0001-1a2b3c4d */
  id: string;
  /** The Message-ID header, with its angle brackets, or '' when the message had none. */
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  /** The Date header (RFC 3339), or '' when absent. */
  date: string;
  receivedAt: string;
  size: number;
  envelope: { mailFrom: string; rcptTo: string[] };
}

const ID_PATTERN = /^\d{8}T\d{9}Z-\d{4,}-[0-9a-f]{8}$/;

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.flatMap((a) => a.value.map((v) => v.address ?? '')).filter(Boolean);
}

export class MailStore {
  readonly dir: string;
  #seq = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  async init(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new FunctionsError(
        'CNPAAS_FUNCTIONS_MAIL_DIR',
        `cannot create mail directory ${this.dir}: ${errorMessage(err)}`,
        {
          hint: 'pass a writable --mail-dir (cnpaas up uses <state-dir>/mail)',
          cause: err,
        },
      );
    }
  }

  /** Stores one received message; resolves once both files are in place. */
  async save(raw: Buffer, envelope: StoredMail['envelope']): Promise<StoredMail> {
    const parsed = await simpleParser(raw, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
    });
    const now = new Date();
    // Sequence number: two messages in the same millisecond still sort in arrival order.
    const id = `${now.toISOString().replace(/[-:.]/g, '')}-${String(++this.#seq).padStart(4, '0')}-${randomBytes(4).toString('hex')}`;
    const entry: StoredMail = {
      id,
      messageId: parsed.messageId ?? '',
      from: addresses(parsed.from)[0] ?? '',
      to: addresses(parsed.to),
      subject: parsed.subject ?? '',
      date: parsed.date ? parsed.date.toISOString() : '',
      receivedAt: now.toISOString(),
      size: raw.length,
      envelope,
    };
    await writeAtomic(join(this.dir, `${id}.eml`), raw);
    await writeAtomic(join(this.dir, `${id}.json`), `${JSON.stringify(entry, null, 2)}\n`);
    return entry;
  }
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, file);
}

/** Every stored message, oldest first. A missing directory is an empty mailbox. */
export async function listMail(dir: string): Promise<StoredMail[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new FunctionsError('CNPAAS_FUNCTIONS_MAIL_DIR', `cannot read mail directory ${dir}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const ids = names
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -5))
    .filter((id) => ID_PATTERN.test(id))
    .sort();
  return Promise.all(ids.map(async (id) => JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8')) as StoredMail));
}

/** One message: its index entry and the raw .eml bytes. */
export async function readMail(dir: string, id: string): Promise<{ mail: StoredMail; raw: Buffer }> {
  // The id becomes a path: only our own id shape, so `../x` cannot escape the directory.
  if (!ID_PATTERN.test(id)) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_MAIL_NOT_FOUND', `"${id}" is not a mail id`, {
      hint: 'use an id from `cnpaas mail` (listMail)',
    });
  }
  try {
    const mail = JSON.parse(await readFile(join(dir, `${id}.json`), 'utf8')) as StoredMail;
    return { mail, raw: await readFile(join(dir, `${id}.eml`)) };
  } catch (err) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_MAIL_NOT_FOUND', `no message ${id} in ${dir}: ${errorMessage(err)}`, {
      hint: 'use an id from `cnpaas mail` (listMail)',
      cause: err,
    });
  }
}
