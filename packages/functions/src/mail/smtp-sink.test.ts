import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionsError } from '../errors.js';
import { SMTP_PASSWORD, SMTP_USER, capturingLogger, startSink, type TestSink } from '../test-support.js';
import { listMail, readMail } from './mail-store.js';
import { SmtpSink } from './smtp-sink.js';

let sink: TestSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

/** A client that upgrades with STARTTLS (trusting the sink's CA) before AUTH. */
function client(port: number, auth?: { user: string; pass: string }) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    requireTLS: true,
    tls: { ca: sink!.ca },
    ...(auth ? { auth } : {}),
    logger: false,
  });
}

/** A client that never upgrades: AUTH in clear. */
function plainClient(port: number, auth: { user: string; pass: string }) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, auth, logger: false });
}

const mail = {
  from: 'shop@example.com',
  to: 'ada@example.com',
  subject: 'Hello',
  text: 'Body text',
  messageId: '<m-1@cnpaas.local>',
};

describe('SMTP sink', () => {
  it('stores an authenticated message as .eml plus an index entry', async () => {
    const { log, lines } = capturingLogger();
    sink = await startSink({ log });
    await client(sink.port, { user: SMTP_USER, pass: SMTP_PASSWORD }).sendMail(mail);
    const list = await listMail(sink.dir);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      messageId: '<m-1@cnpaas.local>',
      from: 'shop@example.com',
      to: ['ada@example.com'],
      subject: 'Hello',
      envelope: { mailFrom: 'shop@example.com', rcptTo: ['ada@example.com'] },
    });
    const { raw } = await readMail(sink.dir, list[0]!.id);
    expect(raw.toString()).toContain('Body text');
    const text = lines.join('\n');
    expect(text).not.toContain('Body text');
    expect(text).not.toContain(SMTP_PASSWORD);
    expect(text).not.toContain('ada@example.com');
  });

  it('refuses mail without AUTH, and a wrong password', async () => {
    sink = await startSink();
    await expect(client(sink.port).sendMail(mail)).rejects.toMatchObject({ responseCode: 530 });
    await expect(client(sink.port, { user: SMTP_USER, pass: 'wrong' }).sendMail(mail)).rejects.toMatchObject({
      code: 'EAUTH',
      responseCode: 535,
    });
    expect(sink.sink.stats.authFailures).toBe(1);
    expect(await listMail(sink.dir)).toEqual([]);
  });

  it('refuses AUTH over plain text (538: STARTTLS first) and accepts it over TLS', async () => {
    sink = await startSink();
    await expect(plainClient(sink.port, { user: SMTP_USER, pass: SMTP_PASSWORD }).sendMail(mail)).rejects.toMatchObject(
      { code: 'EAUTH', responseCode: 538 },
    );
    expect(await listMail(sink.dir)).toEqual([]);
    const info = await client(sink.port, { user: SMTP_USER, pass: SMTP_PASSWORD }).sendMail(mail);
    expect(info.accepted).toEqual(['ada@example.com']);
    expect(await listMail(sink.dir)).toHaveLength(1);
  });

  it('will not start with AUTH but without a certificate', () => {
    expect(() => new SmtpSink({ mailDir: '/nonexistent', auth: { user: 'u', password: 'p' } })).toThrow(
      expect.objectContaining({ code: 'CNPAAS_FUNCTIONS_TLS', message: expect.stringMatching(/in clear/) }),
    );
  });

  it('injects a temporary 451 on RCPT TO, then accepts', async () => {
    let calls = 0;
    sink = await startSink({
      faults: { rcptTo: () => (++calls === 1 ? { code: 451, message: 'Try again later' } : undefined) },
    });
    const c = client(sink.port, { user: SMTP_USER, pass: SMTP_PASSWORD });
    await expect(c.sendMail(mail)).rejects.toMatchObject({ responseCode: 451, permanent: false });
    await c.sendMail(mail);
    expect(await listMail(sink.dir)).toHaveLength(1);
  });

  it('keeps messages in arrival order and refuses ids that are not its own', async () => {
    sink = await startSink();
    const c = client(sink.port, { user: SMTP_USER, pass: SMTP_PASSWORD });
    for (let i = 0; i < 5; i++) await c.sendMail({ ...mail, subject: `n${i}`, messageId: `<m-${i}@x>` });
    expect((await listMail(sink.dir)).map((m) => m.subject)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    await expect(readMail(sink.dir, '../../etc/passwd')).rejects.toBeInstanceOf(FunctionsError);
    await expect(listMail(`${sink.dir}/missing`)).resolves.toEqual([]);
  });
});
