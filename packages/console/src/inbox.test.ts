import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MailStore } from '@cnpaas/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryInbox, isMailId } from './inbox.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function message(options: { subject: string; to: string; type: 'text/plain' | 'text/html'; body: string }): Buffer {
  return Buffer.from(
    [
      'From: cnpaas webshop <no-reply@webshop.cnpaas.dev>',
      `To: ${options.to}`,
      `Subject: ${options.subject}`,
      'Message-ID: <m1@webshop.cnpaas.dev>',
      'MIME-Version: 1.0',
      `Content-Type: ${options.type}; charset=utf-8`,
      '',
      options.body,
      '',
    ].join('\r\n'),
  );
}

describe('DirectoryInbox', () => {
  it('lists the SMTP sink’s messages newest first and reads text and HTML parts apart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cnp-console-mail-'));
    dirs.push(dir);
    const store = new MailStore(dir);
    await store.init();
    const envelope = { mailFrom: 'no-reply@webshop.cnpaas.dev', rcptTo: ['ada@example.com'] };
    const first = await store.save(
      message({ subject: 'Welcome, Ada', to: 'ada@example.com', type: 'text/plain', body: 'Hello <b>Ada</b>' }),
      envelope,
    );
    const second = await store.save(
      message({ subject: 'Welcome, Grace', to: 'grace@example.com', type: 'text/html', body: '<p>Hello Grace</p>' }),
      envelope,
    );
    const inbox = new DirectoryInbox(dir);
    const list = await inbox.list();
    expect(list.map((m) => m.subject)).toEqual(['Welcome, Grace', 'Welcome, Ada']);
    expect(list[0]).toMatchObject({ id: second.id, to: ['grace@example.com'] });

    const text = await inbox.read(first.id);
    expect(text.text.trim()).toBe('Hello <b>Ada</b>');
    expect(text.html).toBe('');
    const html = await inbox.read(second.id);
    expect(html.html).toContain('<p>Hello Grace</p>');
    expect(isMailId(second.id)).toBe(true);
  });

  it('answers an unknown id with NOT_FOUND and a missing directory as an empty inbox', async () => {
    const inbox = new DirectoryInbox(path.join(tmpdir(), 'cnp-console-no-such-dir'));
    expect(await inbox.list()).toEqual([]);
    await expect(inbox.read('20260101T120000123Z-0001-1a2b3c4d')).rejects.toMatchObject({
      code: 'CNPAAS_CONSOLE_NOT_FOUND',
      httpStatus: 404,
    });
  });
});
