import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { listMail, readMail } from '../mail/mail-store.js';
import { SECRET_BODY, SMTP_PASSWORD, capturingLogger, emailObject, startSink, type TestSink } from '../test-support.js';
import { backoffDelay } from './backoff.js';
import { classifySmtpError } from './classify.js';
import { buildMessage, messageIdFor } from './message.js';
import { EmailSender, SendError } from './sender.js';

let sink: TestSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

const fastBackoff = { initialMs: 20, maxMs: 100 };

describe('classifySmtpError', () => {
  it("follows nodemailer's permanent field, then the reply code; no reply is transient", () => {
    expect(classifySmtpError({ responseCode: 550, permanent: true })).toBe('permanent');
    expect(classifySmtpError({ responseCode: 451, permanent: false })).toBe('transient');
    expect(classifySmtpError({ responseCode: 503 })).toBe('transient');
    expect(classifySmtpError({ responseCode: 554 })).toBe('permanent');
    expect(classifySmtpError({ code: 'ECONNECTION' })).toBe('transient');
    expect(classifySmtpError(new Error('x'))).toBe('transient');
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and jitters between half and all of the ceiling', () => {
    const p = { initialMs: 100, maxMs: 1_000 };
    expect(backoffDelay(1, p, () => 0)).toBe(50);
    expect(backoffDelay(1, p, () => 0.999)).toBe(100);
    expect(backoffDelay(3, p, () => 0)).toBe(200);
    expect(backoffDelay(10, p, () => 0.999)).toBe(1_000);
  });
});

describe('EmailSender', () => {
  it('sends one message with the Message-ID from the UID, the subject and the body', async () => {
    sink = await startSink();
    const { log, lines } = capturingLogger();
    const email = emailObject();
    const result = await new EmailSender({ settings: sink.settings, log }).send(buildMessage(email));
    expect(result.attempts).toBe(1);
    const list = await listMail(sink.dir);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      messageId: messageIdFor(email.metadata.uid),
      subject: email.spec.subject,
      to: [email.spec.toAddress],
      from: email.spec.fromAddress,
    });
    const { raw } = await readMail(sink.dir, list[0]!.id);
    expect(raw.toString()).toContain(SECRET_BODY);
    expect(raw.toString()).toContain(`X-Cnpaas-Email: ${email.metadata.namespace}/${email.metadata.name}`);
    expect(lines.join('\n')).not.toContain(SMTP_PASSWORD);
    expect(lines.join('\n')).not.toContain(SECRET_BODY);
  });

  it('retries a temporary 451 and sends once', async () => {
    let rcpt = 0;
    sink = await startSink({
      faults: { rcptTo: () => (++rcpt === 1 ? { code: 451, message: 'Greylisted, try again' } : undefined) },
    });
    const result = await new EmailSender({
      settings: sink.settings,
      log: capturingLogger().log,
      backoff: fastBackoff,
    }).send(buildMessage(emailObject()));
    expect(result.attempts).toBe(2);
    expect(await listMail(sink.dir)).toHaveLength(1);
  });

  it('gives up at once on a permanent 550', async () => {
    let rcpt = 0;
    sink = await startSink({ faults: { rcptTo: () => (++rcpt, { code: 550, message: 'No such user' }) } });
    const err = await new EmailSender({ settings: sink.settings, log: capturingLogger().log, backoff: fastBackoff })
      .send(buildMessage(emailObject()))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err).toMatchObject({ kind: 'permanent', attempts: 1, responseCode: 550 });
    expect(rcpt).toBe(1);
  });

  it('retries a refused connection until the deadline, then reports it transient', async () => {
    sink = await startSink();
    const settings = { ...sink.settings };
    await sink.close();
    sink = undefined;
    const started = Date.now();
    const err = await new EmailSender({ settings, log: capturingLogger().log, backoff: fastBackoff, deadlineMs: 500 })
      .send(buildMessage(emailObject()))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'transient' });
    expect((err as SendError).attempts).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

/** A TCP relay in front of the sink that counts the connections opened through it. */
async function countingRelay(
  port: number,
): Promise<{ port: number; opened: () => number; close: () => Promise<void> }> {
  let opened = 0;
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    opened++;
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s)).on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as AddressInfo).port,
    opened: () => opened,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}

/** A sink behind a connection-counting relay, and a sender with `poolSize` kept-open connections to it. */
async function pooledSender(poolSize: number) {
  const started = await startSink();
  sink = started; // afterEach stops it
  const relay = await countingRelay(started.port);
  const sender = new EmailSender({
    settings: { ...started.settings, port: relay.port },
    log: capturingLogger().log,
    poolSize,
  });
  return { sender, relay, mailDir: started.dir };
}

describe('EmailSender with a pool', () => {
  it('sends one mail after another over one kept-open connection, and closes it on close()', async () => {
    const { sender, relay, mailDir } = await pooledSender(2);
    try {
      for (let i = 0; i < 3; i++) {
        const result = await sender.send(buildMessage(emailObject()));
        expect(result.attempts).toBe(1);
      }
      expect(await listMail(mailDir)).toHaveLength(3);
      expect(relay.opened()).toBe(1);
    } finally {
      sender.close();
      await relay.close();
    }
  });

  it('gives a send that finds every pooled connection busy a connection of its own, not a place in a queue', async () => {
    const { sender, relay, mailDir } = await pooledSender(1);
    try {
      const sends = [0, 1, 2].map(() => sender.send(buildMessage(emailObject())));
      expect((await Promise.all(sends)).map((r) => r.attempts)).toEqual([1, 1, 1]);
      expect(await listMail(mailDir)).toHaveLength(3);
      expect(relay.opened()).toBe(3);
    } finally {
      sender.close();
      await relay.close();
    }
  });

  it('refuses a pool size that is not a whole number ≥ 0', () => {
    const settings = { host: '127.0.0.1', port: 1, tls: 'none' as const, auth: undefined, ca: undefined };
    const timeouts = { connectionTimeoutMs: 100, socketTimeoutMs: 100 };
    expect(
      () => new EmailSender({ settings: { ...settings, ...timeouts }, log: capturingLogger().log, poolSize: -1 }),
    ).toThrow(/poolSize must be a whole number ≥ 0, got -1/);
  });
});

describe('HTML or text, as the Email says', () => {
  const SCRIPT = '<script>alert(1)</script>';

  async function received(spec: Partial<ReturnType<typeof emailObject>['spec']>) {
    sink = await startSink();
    const { log } = capturingLogger();
    await new EmailSender({ settings: sink.settings, log }).send(buildMessage(emailObject({ spec })));
    const [stored] = await listMail(sink.dir);
    const parsed = await simpleParser((await readMail(sink.dir, stored!.id)).raw);
    await sink.close();
    sink = undefined;
    return parsed;
  }

  it('a text Email whose body starts with markup arrives as text/plain, verbatim, with no HTML part', async () => {
    // What a text template renders when a registrant's first name is markup.
    for (const spec of [
      { format: 'text' as const, body: `${SCRIPT}, welcome!` },
      { body: `<a href="https://evil.example">x</a>, welcome!` },
    ]) {
      const mail = await received(spec);
      expect(mail.html).toBe(false);
      expect(mail.text?.trim()).toBe(spec.body);
    }
  });

  it('an html Email arrives as text/html, as the operator escaped it', async () => {
    const mail = await received({ format: 'html', body: '<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;</p>' });
    expect(mail.html).toContain('<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(mail.html).not.toContain(SCRIPT);
  });
});
