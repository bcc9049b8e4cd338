/**
 * Who may use the console. On loopback (the default) anyone on this
 * machine may, as with every other cnpaas server; elsewhere a bearer token
 * is required, and the console refuses to start without one. With a token:
 *
 * - an API call carries `Authorization: Bearer <token>`, or the session
 *   cookie the sign-in prompt sets (EventSource cannot send headers); the
 *   cookie holds a digest of the token, HttpOnly and SameSite=Strict;
 * - comparisons are constant-time.
 *
 * On loopback the Host header must name loopback too: a web page on
 * another site cannot reach the console by pointing its own domain at
 * 127.0.0.1 (DNS rebinding).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConsoleError } from './errors.js';

export const SESSION_COOKIE = 'cnpaas_console_session';
export const MIN_TOKEN_LENGTH = 16;

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** The start-up rule: off loopback only with a token, and never with a guessable one. */
export function checkExposure(host: string, token: string | undefined): void {
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new ConsoleError(
      'CNPAAS_CONSOLE_TOKEN_REQUIRED',
      `the bearer token has ${token.length} characters; at least ${MIN_TOKEN_LENGTH} are required`,
      { hint: 'generate one, e.g. openssl rand -base64 24, and pass it as --token or CNPAAS_CONSOLE_TOKEN' },
    );
  }
  if (!isLoopback(host) && token === undefined) {
    throw new ConsoleError(
      'CNPAAS_CONSOLE_TOKEN_REQUIRED',
      `refusing to listen on ${host} without a bearer token: anyone who reaches it could sign people up and read the inbox`,
      {
        hint: 'pass --token (or CNPAAS_CONSOLE_TOKEN) with at least 16 random characters, or keep --host 127.0.0.1',
      },
    );
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function sessionValue(token: string): string {
  return createHash('sha256').update(`cnpaas-console-session:${token}`, 'utf8').digest('hex');
}

function sameText(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export class AccessCheck {
  readonly #token: string | undefined;
  readonly #session: string | undefined;
  readonly #loopback: boolean;

  constructor(options: { host: string; token?: string | undefined }) {
    checkExposure(options.host, options.token);
    this.#token = options.token;
    this.#session = options.token === undefined ? undefined : sessionValue(options.token);
    this.#loopback = isLoopback(options.host);
  }

  get tokenRequired(): boolean {
    return this.#token !== undefined;
  }

  /** Throws 421 when, on loopback, the Host header names anything but loopback. */
  checkHost(hostHeader: string | undefined): void {
    if (!this.#loopback) return;
    const name = (hostHeader ?? '').replace(/:\d+$/, '');
    if (isLoopback(name)) return;
    throw new ConsoleError(
      'CNPAAS_CONSOLE_HOST_NOT_ALLOWED',
      `the console does not serve host ${JSON.stringify(name)}`,
      {
        httpStatus: 421,
        hint: 'open it as http://127.0.0.1:<port>/ or http://localhost:<port>/',
      },
    );
  }

  /** Throws 401 unless the request carries the token (header) or the session cookie. */
  checkCaller(headers: { authorization?: string | undefined; cookie?: string | undefined }): void {
    if (this.#token === undefined) return;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
    if (bearer !== undefined && sameText(bearer, this.#token)) return;
    const cookie = readCookie(headers.cookie, SESSION_COOKIE);
    if (cookie !== undefined && sameText(cookie, this.#session!)) return;
    throw new ConsoleError('CNPAAS_CONSOLE_UNAUTHORIZED', 'this console needs its bearer token', {
      httpStatus: 401,
      hint: 'send Authorization: Bearer <token>, or enter the token in the sign-in prompt',
    });
  }

  /** The Set-Cookie value for a correct token; throws 401 for a wrong one. */
  signIn(token: unknown): string {
    if (this.#token === undefined || typeof token !== 'string' || !sameText(token, this.#token)) {
      throw new ConsoleError('CNPAAS_CONSOLE_UNAUTHORIZED', 'that is not the token this console was started with', {
        httpStatus: 401,
        hint: 'ask whoever started the console for its --token',
      });
    }
    return `${SESSION_COOKIE}=${this.#session}; Path=/; HttpOnly; SameSite=Strict`;
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
