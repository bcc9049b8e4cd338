/**
 * Sends one message over SMTP with nodemailer, retrying transient failures
 * (classify.ts) with capped exponential backoff and jitter (backoff.ts),
 * all within one deadline. The deadline matters: the trigger calls the
 * function with its own timeout (10 s by default), and an attempt still
 * running after the trigger gave up would race the trigger's retry.
 *
 * The first attempt goes over a small pool of kept-open connections: a new
 * connection costs a TCP and TLS handshake and an AUTH before the first
 * command, more than the message itself to a nearby server. The attempt is
 * aborted at the deadline (nodemailer then drops a message still queued in
 * the pool, or closes the connection it is on); and so that a busy pool
 * never makes a mail wait in its queue, a send that finds every pooled
 * connection in use gets one of its own. A retry always gets a fresh
 * connection whose timeouts end before the deadline: the likeliest transient
 * failure over a pool is a connection the server had closed while idle.
 * Logs carry the Message-ID, the masked recipient, reply codes and timings;
 * never the body, the message or the credentials.
 */
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import { errorMessage } from '../errors.js';
import { maskAddress, type Logger } from '../logger.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff.js';
import { classifySmtpError, type FailureKind, type SmtpErrorFields } from './classify.js';
import { transportOptions, type SmtpSettings } from './smtp-settings.js';

const sendErrorBrand = Symbol.for('cnpaas.functions.SendError');

/** The last SMTP failure of a send that gave up, and whether trying later can help. */
export class SendError extends Error {
  override readonly name = 'SendError';
  readonly [sendErrorBrand] = true;

  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly attempts: number,
    readonly responseCode: number | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && sendErrorBrand in value;
  }
}

export interface SendResult {
  attempts: number;
  /** The server's final reply, e.g. "250 Ok: queued as …". */
  response: string;
}

export interface EmailSenderOptions {
  settings: SmtpSettings;
  log: Logger;
  backoff?: BackoffPolicy;
  /** Total time for all attempts of one send; default 8 s (below the trigger's 10 s delivery timeout). */
  deadlineMs?: number;
  random?: () => number;
  /**
   * Connections kept open for first attempts (the function process uses DEFAULT_SMTP_POOL_SIZE); whoever
   * sets it calls close(). Default 0: a new connection for every attempt, nothing left open.
   */
  poolSize?: number;
}

/** The function process's pool: as many sends at once as nodemailer's default pool allows. */
export const DEFAULT_SMTP_POOL_SIZE = 5;

export const DEFAULT_SEND_DEADLINE_MS = 8_000;
/** An attempt with less time than this would end in its own timeout, hiding the real SMTP error. */
const MIN_ATTEMPT_MS = 250;

export class EmailSender {
  readonly deadlineMs: number;
  readonly #options: EmailSenderOptions;
  readonly #poolSize: number;
  #pool: Transporter | undefined;
  /** Sends on the pool now: below the pool's size, none of them waits in its queue. */
  #pooled = 0;
  #closed = false;

  constructor(options: EmailSenderOptions) {
    this.#options = options;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_SEND_DEADLINE_MS;
    this.#poolSize = options.poolSize ?? 0;
    if (!Number.isInteger(this.#poolSize) || this.#poolSize < 0)
      throw new RangeError(`poolSize must be a whole number ≥ 0, got ${String(options.poolSize)}`);
  }

  /** Closes the pooled connections (idle ones at once, busy ones after their message). */
  close(): void {
    this.#closed = true;
    this.#pool?.close();
    this.#pool = undefined;
  }

  /** The pool for a first attempt, or undefined when it is full, disabled or closed. */
  #takePooled(): Transporter | undefined {
    if (this.#closed || this.#pooled >= this.#poolSize) return undefined;
    this.#pool ??= nodemailer.createTransport({
      ...transportOptions(this.#options.settings, this.deadlineMs),
      pool: true,
      maxConnections: this.#poolSize,
    });
    this.#pooled++;
    return this.#pool;
  }

  async send(message: SendMailOptions): Promise<SendResult> {
    const { settings, log } = this.#options;
    const started = Date.now();
    const deadline = started + this.deadlineMs;
    const to = maskAddress(typeof message.to === 'string' ? message.to : undefined);
    for (let attempt = 1; ; attempt++) {
      const budget = deadline - Date.now();
      const pooled = attempt === 1 ? this.#takePooled() : undefined;
      const transport = pooled ?? nodemailer.createTransport(transportOptions(settings, budget));
      try {
        const info = await transport.sendMail({ ...message, signal: AbortSignal.timeout(Math.max(1, budget)) });
        log.debug({ messageId: message.messageId, to, attempt, ms: Date.now() - started }, 'SMTP accepted the message');
        return { attempts: attempt, response: info.response ?? '' };
      } catch (err) {
        const e = err as SmtpErrorFields;
        const kind = classifySmtpError(err);
        const fields = {
          messageId: message.messageId,
          to,
          attempt,
          kind,
          smtpCode: e.responseCode,
          code: e.code,
          command: e.command,
        };
        if (kind === 'permanent') {
          log.warn(fields, 'SMTP refused the message permanently');
          throw new SendError(kind, errorMessage(err), attempt, e.responseCode, { cause: err });
        }
        const delay = backoffDelay(attempt, this.#options.backoff ?? DEFAULT_BACKOFF, this.#options.random);
        if (Date.now() + delay + MIN_ATTEMPT_MS > deadline) {
          log.warn({ ...fields, ms: Date.now() - started }, 'SMTP send failed; deadline reached, giving up for now');
          throw new SendError(kind, errorMessage(err), attempt, e.responseCode, { cause: err });
        }
        // A connection lost after DATA may have delivered the message already; the retry carries the same Message-ID.
        log.info({ ...fields, retryInMs: delay }, 'SMTP send failed transiently; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      } finally {
        if (pooled) this.#pooled--;
        else transport.close();
      }
    }
  }
}
