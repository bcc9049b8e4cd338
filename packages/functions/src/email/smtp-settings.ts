/**
 * Where and how the function sends: from mounted secret files, else from
 * the environment, like the original demo's function, with an
 * explicit TLS policy instead of a boolean.
 *
 * Files in $SMTP_SECRETS_DIR (a mounted Secret): smtp-host, smtp-port,
 * smtp-username, smtp-password, smtp-tls. Env fallbacks: SMTP_HOST
 * (localhost), SMTP_PORT (587; 465 defaults to implicit TLS), SMTP_USERNAME,
 * SMTP_PASSWORD or SMTP_PASSWORD_FILE, SMTP_TLS, SMTP_CA_FILE. The original's
 * SMTP_USE_TLS=true|false maps to starttls|none.
 *
 * SMTP_TLS:
 * - `implicit`: TLS from the first byte (port 465);
 * - `starttls` (default): STARTTLS required; the session fails if the server
 *   does not offer it, so the password never goes out in clear;
 * - `opportunistic`: STARTTLS when offered;
 * - `none`: never TLS (the demo's loopback sink).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SMTPTransportOptions } from 'nodemailer';
import { FunctionsError, errorMessage } from '../errors.js';

export type TlsPolicy = 'implicit' | 'starttls' | 'opportunistic' | 'none';

export interface SmtpSettings {
  host: string;
  port: number;
  tls: TlsPolicy;
  /** undefined: no AUTH. */
  auth: { user: string; pass: string } | undefined;
  /** Extra CA to trust for the server's certificate (PEM). */
  ca: Buffer | undefined;
  /** Per-connection timeouts; each attempt also ends at the delivery deadline. */
  connectionTimeoutMs: number;
  socketTimeoutMs: number;
}

const POLICIES: readonly TlsPolicy[] = ['implicit', 'starttls', 'opportunistic', 'none'];

function bad(what: string, hint: string): FunctionsError {
  return new FunctionsError('CNPAAS_FUNCTIONS_SMTP_CONFIG', what, { hint });
}

export function loadSmtpSettings(env: NodeJS.ProcessEnv): SmtpSettings {
  const dir = env['SMTP_SECRETS_DIR'];
  const fromFile = (name: string): string | undefined => {
    if (!dir) return undefined;
    try {
      const value = readFileSync(join(dir, name), 'utf8').trim();
      return value === '' ? undefined : value;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw bad(
        `cannot read ${join(dir, name)}: ${errorMessage(err)}`,
        'make the mounted SMTP secret readable by the function',
      );
    }
  };
  const pick = (file: string, envName: string): string | undefined => {
    const value = fromFile(file) ?? env[envName]?.trim();
    return value === '' ? undefined : value;
  };

  const host = pick('smtp-host', 'SMTP_HOST') ?? 'localhost';
  const portText = pick('smtp-port', 'SMTP_PORT') ?? '587';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)
    throw bad(`SMTP port "${portText}" is not a port number`, 'set SMTP_PORT (or smtp-port) to 1-65535');

  const legacy = env['SMTP_USE_TLS']?.trim().toLowerCase();
  const tlsText =
    pick('smtp-tls', 'SMTP_TLS') ??
    (legacy === undefined || legacy === ''
      ? port === 465
        ? 'implicit'
        : 'starttls'
      : legacy === 'false'
        ? 'none'
        : 'starttls');
  if (!POLICIES.includes(tlsText as TlsPolicy))
    throw bad(`SMTP TLS policy "${tlsText}" is unknown`, `use one of ${POLICIES.join(', ')}`);

  const user = pick('smtp-username', 'SMTP_USERNAME');
  let pass = pick('smtp-password', 'SMTP_PASSWORD');
  const passwordFile = env['SMTP_PASSWORD_FILE']?.trim();
  if (pass === undefined && passwordFile) {
    try {
      pass = readFileSync(passwordFile, 'utf8').split(/\r?\n/)[0] || undefined;
    } catch (err) {
      throw bad(
        `cannot read SMTP_PASSWORD_FILE ${passwordFile}: ${errorMessage(err)}`,
        'point SMTP_PASSWORD_FILE at a readable file',
      );
    }
  }
  // As the original: AUTH only with both; one without the other is a mistake worth stopping for.
  if ((user === undefined) !== (pass === undefined)) {
    throw bad(
      `SMTP ${user === undefined ? 'password' : 'user name'} set without the other`,
      'set both SMTP_USERNAME and SMTP_PASSWORD (or SMTP_PASSWORD_FILE), or neither',
    );
  }
  const caFile = env['SMTP_CA_FILE']?.trim();
  let ca: Buffer | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile);
    } catch (err) {
      throw bad(
        `cannot read SMTP_CA_FILE ${caFile}: ${errorMessage(err)}`,
        'point SMTP_CA_FILE at the PEM CA of the SMTP server',
      );
    }
  }
  return {
    host,
    port,
    tls: tlsText as TlsPolicy,
    auth: user !== undefined && pass !== undefined ? { user, pass } : undefined,
    ca,
    connectionTimeoutMs: 5_000,
    socketTimeoutMs: 10_000,
  };
}

/** What may be logged about the settings: everything but the password. */
export function describeSmtpSettings(s: SmtpSettings): Record<string, unknown> {
  return { host: s.host, port: s.port, tls: s.tls, authUser: s.auth?.user ?? null, customCa: s.ca !== undefined };
}

/** nodemailer transport options for one attempt that must end within `budgetMs`. */
export function transportOptions(s: SmtpSettings, budgetMs: number): SMTPTransportOptions {
  const limit = (ms: number): number => Math.max(100, Math.min(ms, budgetMs));
  return {
    host: s.host,
    port: s.port,
    secure: s.tls === 'implicit',
    requireTLS: s.tls === 'starttls',
    ignoreTLS: s.tls === 'none',
    ...(s.ca ? { tls: { ca: s.ca } } : {}),
    ...(s.auth ? { auth: { user: s.auth.user, pass: s.auth.pass } } : {}),
    connectionTimeout: limit(s.connectionTimeoutMs),
    greetingTimeout: limit(s.connectionTimeoutMs),
    socketTimeout: limit(s.socketTimeoutMs),
    // nodemailer's own logger would print the AUTH exchange and the message.
    logger: false,
    debug: false,
  };
}
