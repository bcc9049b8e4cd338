/**
 * Sends one message over SMTP with nodemailer, retrying transient failures
 * (classify.ts) with capped exponential backoff and jitter (backoff.ts),
 * all within one deadline. The deadline matters: the trigger calls the
 * function with its own timeout (10 s by default), and an attempt still
 * running after the trigger gave up would race the trigger's retry.
 *
 * Each attempt gets a fresh connection whose timeouts end before the
 * deadline. Logs carry the Message-ID, the masked recipient, reply codes
 * and timings; never the body, the message or the credentials.
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
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
}

export const DEFAULT_SEND_DEADLINE_MS = 8_000;
/** An attempt with less time than this would end in its own timeout, hiding the real SMTP error. */
const MIN_ATTEMPT_MS = 250;

export class EmailSender {
  readonly deadlineMs: number;
  readonly #options: EmailSenderOptions;

  constructor(options: EmailSenderOptions) {
    this.#options = options;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_SEND_DEADLINE_MS;
  }

  async send(message: SendMailOptions): Promise<SendResult> {
    const { settings, log } = this.#options;
    const started = Date.now();
    const deadline = started + this.deadlineMs;
    const to = maskAddress(typeof message.to === 'string' ? message.to : undefined);
    for (let attempt = 1; ; attempt++) {
      const budget = deadline - Date.now();
      const transport = nodemailer.createTransport(transportOptions(settings, budget));
      try {
        const info = await transport.sendMail(message);
        log.debug({ messageId: message.messageId, to, attempt, ms: Date.now() - started }, 'SMTP accepted the message');
        return { attempts: attempt, response: info.response };
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
        transport.close();
      }
    }
  }
}
