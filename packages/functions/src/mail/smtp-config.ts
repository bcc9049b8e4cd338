/**
 * The command line of cnpaas-smtp. Every flag also reads an environment
 * variable (flags win). The password comes from a file, never from argv:
 * argv is visible to every user of the machine in `ps`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { flagTable, readFlags, type Flags } from '@cnpaas/service-kit';
import { FunctionsError, errorMessage } from '../errors.js';
import { isLoopback } from '../loopback.js';

export interface SmtpSinkConfig {
  host: string;
  port: number;
  mailDir: string;
  /** false: --insecure-no-auth. */
  auth: { user: string; password: string } | false;
  certFile: string | undefined;
  keyFile: string | undefined;
  /** Where /healthz, /readyz, /metrics answer (plain HTTP, loopback); undefined: nowhere. */
  health: { host: string; port: number } | undefined;
  logLevel: string;
}

export const DEFAULT_SMTP_LISTEN = '127.0.0.1:2525';
export const DEFAULT_SMTP_USER = 'cnpaas';

export const SMTP_USAGE = `Usage: cnpaas-smtp [flags]

The demo's local SMTP server: accepts mail (AUTH PLAIN/LOGIN) and stores every
message as <id>.eml plus an <id>.json index entry in --mail-dir. Delivers nowhere.

  --listen HOST:PORT         SMTP address (default ${DEFAULT_SMTP_LISTEN})                         CNPAAS_SMTP_LISTEN
  --mail-dir DIR             where messages are stored (required; cnpaas up: <state-dir>/mail)   CNPAAS_SMTP_MAIL_DIR
  --user NAME                AUTH user name (default ${DEFAULT_SMTP_USER})                               CNPAAS_SMTP_USER
  --password-file FILE       AUTH password, first line of FILE (required)                        CNPAAS_SMTP_PASSWORD_FILE
  --insecure-no-auth         accept mail without AUTH (tests only; loopback only without TLS)
  --cert-file FILE           STARTTLS certificate (PEM); required with AUTH, which is             CNPAAS_SMTP_CERT_FILE
                             refused before STARTTLS
  --key-file FILE            its private key                                                     CNPAAS_SMTP_KEY_FILE
  --listen-health HOST:PORT  serve /healthz, /readyz, /metrics over HTTP                         CNPAAS_SMTP_LISTEN_HEALTH
  --log-level LEVEL          trace, debug, info (default), warn, error                           LOG_LEVEL
  --help, --version
`;

/** The first line of the file --password-file names (a trailing newline is not part of the password). */
function readPasswordFile(flags: Flags, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw flags.bad('password-file', {
      reason: `cannot read ${file}: ${errorMessage(err)}`,
      hint: 'point it at the file cnpaas up wrote, readable by this process',
    });
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '')
    throw flags.bad('password-file', { reason: `${file} is empty`, hint: 'write the password on the first line' });
  return line;
}

export function parseSmtpConfig(argv: readonly string[], env: NodeJS.ProcessEnv): SmtpSinkConfig | 'help' | 'version' {
  const flags = readFlags({
    bin: 'cnpaas-smtp',
    argv,
    env,
    error: FunctionsError.kit,
    flags: flagTable({
      envPrefix: 'CNPAAS_SMTP',
      strings: ['listen', 'mail-dir', 'user', 'password-file', 'cert-file', 'key-file', 'listen-health'],
      booleans: ['insecure-no-auth'],
    }),
  });
  if (typeof flags === 'string') return flags;

  const { host, port } = flags.listen('listen', DEFAULT_SMTP_LISTEN);
  const mailDir = flags.value('mail-dir');
  if (!mailDir) throw flags.bad('mail-dir', { reason: 'is required', hint: 'e.g. --mail-dir .cnpaas/mail' });
  const certFile = flags.value('cert-file');
  const keyFile = flags.value('key-file');
  if (!!certFile !== !!keyFile)
    throw flags.bad(certFile ? 'key-file' : 'cert-file', {
      reason: 'is required with the other one',
      hint: 'pass both --cert-file and --key-file, or neither',
    });
  let auth: SmtpSinkConfig['auth'] = false;
  if (!flags.has('insecure-no-auth')) {
    const passwordFile = flags.value('password-file');
    if (!passwordFile)
      throw flags.bad('password-file', {
        reason: 'is required',
        hint: 'write the AUTH password to a file (mode 0600) and pass it, or --insecure-no-auth for tests',
      });
    // The sink refuses AUTH before STARTTLS, so without a certificate nobody could ever log in.
    if (!certFile)
      throw flags.bad('cert-file', {
        reason: 'is required with AUTH (the password must not cross the wire in clear)',
        hint: 'pass --cert-file/--key-file with a serving certificate (cnpaas up issues one from its CA)',
      });
    auth = { user: flags.value('user') ?? DEFAULT_SMTP_USER, password: readPasswordFile(flags, resolve(passwordFile)) };
  } else if (!certFile && !isLoopback(host)) {
    // Mail in clear without AUTH: only where it cannot leave this machine.
    throw flags.bad('listen', {
      reason: `${host} is not a loopback address`,
      hint: 'listen on 127.0.0.1, or pass --cert-file/--key-file for STARTTLS',
    });
  }
  const health =
    flags.value('listen-health') === undefined ? undefined : flags.listen('listen-health', '127.0.0.1:2526');
  return {
    host,
    port,
    mailDir: resolve(mailDir),
    auth,
    certFile: certFile ? resolve(certFile) : undefined,
    keyFile: keyFile ? resolve(keyFile) : undefined,
    health,
    logLevel: flags.logLevel(),
  };
}
