/**
 * The demo's local SMTP server (a sink: it delivers nowhere, it stores every
 * accepted message in a MailStore). Real `smtp-server`, so the function's
 * nodemailer client speaks real SMTP to it in the demo and in tests.
 *
 * - AUTH (PLAIN, LOGIN) is required unless `auth: false`, which only tests
 *   use, and AUTH needs TLS: the sink offers STARTTLS with the `tls`
 *   certificate and refuses AUTH before the client upgraded (538), so the
 *   password never crosses even a loopback port in clear. A sink with AUTH
 *   but no certificate is refused at construction. Without `tls` STARTTLS
 *   is disabled, so smtp-server never presents its built-in test
 *   certificate.
 * - `faults` let tests answer any MAIL FROM, RCPT TO or end of DATA with an
 *   SMTP error (e.g. a temporary 451), exactly as a real server would.
 * - Nothing logs addresses in full, message contents or the password.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { FunctionsError, errorMessage } from '../errors.js';
import { maskAddress, type Logger } from '../logger.js';
import { MailStore, type StoredMail } from './mail-store.js';

/** An SMTP reply to send instead of accepting: `{ code: 451, message: 'try again later' }`. */
export interface SmtpFault {
  code: number;
  message: string;
}

/** Fault injection for tests: return a fault to refuse, undefined to go on. */
export interface SinkFaults {
  mailFrom?(address: string): SmtpFault | undefined;
  rcptTo?(address: string): SmtpFault | undefined;
  /** After the whole message arrived, before it is stored (a refusal here means it was not accepted). */
  data?(raw: Buffer): SmtpFault | undefined;
}

export interface SmtpSinkOptions {
  mailDir: string;
  /** Credentials clients must AUTH with; `false` accepts mail without AUTH (tests only). */
  auth: { user: string; password: string } | false;
  faults?: SinkFaults;
  /** Serving certificate for STARTTLS; required with `auth`. Without it STARTTLS is not offered. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Largest accepted message; default 10 MiB (advertised as SIZE). */
  maxMessageBytes?: number;
  log?: Logger;
  /** Called after each message was stored. */
  onStored?(mail: StoredMail): void;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

function smtpError(fault: SmtpFault): Error {
  return Object.assign(new Error(fault.message), { responseCode: fault.code });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export class SmtpSink {
  readonly store: MailStore;
  readonly stats = { stored: 0, refused: 0, authFailures: 0 };
  readonly #server: SMTPServer;
  readonly #options: SmtpSinkOptions;

  constructor(options: SmtpSinkOptions) {
    if (options.auth !== false && !options.tls) {
      throw new FunctionsError(
        'CNPAAS_FUNCTIONS_TLS',
        'the SMTP sink requires AUTH but has no TLS certificate: the password would cross the wire in clear',
        {
          hint: 'give the sink a serving certificate (cnpaas-smtp --cert-file/--key-file) so clients AUTH after STARTTLS',
        },
      );
    }
    this.#options = options;
    this.store = new MailStore(options.mailDir);
    const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const disabled = [...(options.tls ? [] : ['STARTTLS']), ...(options.auth === false ? ['AUTH'] : [])];
    this.#server = new SMTPServer({
      banner: 'cnpaas SMTP sink',
      logger: false,
      disabledCommands: disabled,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: options.auth === false,
      // AUTH only after STARTTLS (smtp-server answers 538 before it).
      allowInsecureAuth: false,
      size: maxBytes,
      ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
      onAuth: (auth, _session, callback) => {
        const expected = options.auth;
        // Compare digests: equal length, so timingSafeEqual applies and the length does not leak.
        const ok =
          expected !== false &&
          (auth.method === 'PLAIN' || auth.method === 'LOGIN') &&
          timingSafeEqual(digest(auth.username ?? ''), digest(expected.user)) &&
          timingSafeEqual(digest(auth.password ?? ''), digest(expected.password));
        if (!ok) {
          this.stats.authFailures++;
          options.log?.warn({ method: auth.method }, 'SMTP AUTH refused');
          return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
        }
        callback(null, { user: auth.username });
      },
      onMailFrom: (address, _session, callback) =>
        callback(this.#fault(options.faults?.mailFrom?.(address.address), 'MAIL FROM')),
      onRcptTo: (address, _session, callback) =>
        callback(this.#fault(options.faults?.rcptTo?.(address.address), 'RCPT TO')),
      onData: (stream, session, callback) => this.#onData(stream, session, maxBytes, callback),
    });
    this.#server.on('error', (err) => options.log?.error({ err: errorMessage(err) }, 'SMTP server error'));
  }

  #fault(fault: SmtpFault | undefined, command: string): Error | null {
    if (!fault) return null;
    this.stats.refused++;
    this.#options.log?.info({ command, code: fault.code }, 'SMTP fault injected');
    return smtpError(fault);
  }

  #onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    maxBytes: number,
    callback: (err?: Error | null, message?: string) => void,
  ): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      // Past the limit we only drain the stream; smtp-server flags sizeExceeded.
      if (!stream.sizeExceeded) chunks.push(chunk);
    });
    stream.on('error', (err) => callback(err));
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        this.stats.refused++;
        return callback(smtpError({ code: 552, message: `Message exceeds the maximum size of ${maxBytes} bytes` }));
      }
      const raw = Buffer.concat(chunks);
      const fault = this.#fault(this.#options.faults?.data?.(raw), 'DATA');
      if (fault) return callback(fault);
      const envelope = {
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        rcptTo: session.envelope.rcptTo.map((r: SMTPServerAddress) => r.address),
      };
      this.store.save(raw, envelope).then(
        (mail) => {
          this.stats.stored++;
          this.#options.log?.info(
            { id: mail.id, messageId: mail.messageId, size: mail.size, to: mail.to.map(maskAddress) },
            'message stored',
          );
          this.#options.onStored?.(mail);
          callback(null, `Ok: queued as ${mail.id}`);
        },
        (err: unknown) => {
          this.#options.log?.error({ err: errorMessage(err) }, 'cannot store message');
          // 451: the client keeps the message and tries again later.
          callback(smtpError({ code: 451, message: 'Local error in processing: cannot store the message' }));
        },
      );
    });
  }

  /** Creates the mail directory and listens; resolves with the bound address (port 0 picks a free one). */
  async listen(options: { host: string; port: number }): Promise<{ host: string; port: number }> {
    await this.store.init();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(
          new FunctionsError(
            'CNPAAS_FUNCTIONS_LISTEN',
            `SMTP sink cannot listen on ${options.host}:${options.port}: ${errorMessage(err)}`,
            {
              hint: 'pick a free port with --listen HOST:PORT, or stop the process that holds it',
              cause: err,
            },
          ),
        );
      };
      this.#server.server.once('error', onError);
      this.#server.listen(options.port, options.host, () => {
        this.#server.server.off('error', onError);
        resolve();
      });
    });
    const address = this.#server.server.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
