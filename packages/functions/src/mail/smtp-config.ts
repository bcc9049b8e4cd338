/**
 * The command line of cnpaas-smtp. Every flag also reads an environment
 * variable (flags win). The password comes from a file, never from argv:
 * argv is visible to every user of the machine in `ps`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FunctionsError, errorMessage } from '../errors.js';
import { isLoopback, parseListen } from '../listen-address.js';

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

  --listen HOST:PORT         SMTP address, loopback only without TLS (default ${DEFAULT_SMTP_LISTEN})  CNPAAS_SMTP_LISTEN
  --mail-dir DIR             where messages are stored (required; cnpaas up: <state-dir>/mail)   CNPAAS_SMTP_MAIL_DIR
  --user NAME                AUTH user name (default ${DEFAULT_SMTP_USER})                               CNPAAS_SMTP_USER
  --password-file FILE       AUTH password, first line of FILE (required)                        CNPAAS_SMTP_PASSWORD_FILE
  --insecure-no-auth         accept mail without AUTH (tests only)
  --cert-file FILE           offer STARTTLS with this certificate (PEM)                          CNPAAS_SMTP_CERT_FILE
  --key-file FILE            its private key                                                     CNPAAS_SMTP_KEY_FILE
  --listen-health HOST:PORT  serve /healthz, /readyz, /metrics over HTTP                         CNPAAS_SMTP_LISTEN_HEALTH
  --log-level LEVEL          trace, debug, info (default), warn, error                           LOG_LEVEL
  --help, --version
`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function bad(flag: string, reason: string, hint: string): FunctionsError {
  return new FunctionsError('CNPAAS_FUNCTIONS_BAD_FLAG', `--${flag}: ${reason}`, { hint });
}

/** The first line of a secret file (a trailing newline is not part of the password). */
export function readSecretFile(file: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw bad(flag, `cannot read ${file}: ${errorMessage(err)}`, 'point it at the file cnpaas up wrote, readable by this process');
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw bad(flag, `${file} is empty`, 'write the password on the first line');
  return line;
}

export function parseSmtpConfig(argv: readonly string[], env: NodeJS.ProcessEnv): SmtpSinkConfig | 'help' | 'version' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        'mail-dir': { type: 'string' },
        user: { type: 'string' },
        'password-file': { type: 'string' },
        'insecure-no-auth': { type: 'boolean' },
        'cert-file': { type: 'string' },
        'key-file': { type: 'string' },
        'listen-health': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_BAD_FLAG', (err as Error).message, { hint: 'run cnpaas-smtp --help for the flags' });
  }
  if (values['help']) return 'help';
  if (values['version']) return 'version';
  const flag = (name: string, envName: string): string | undefined => {
    const value = (values[name] as string | undefined) ?? env[envName];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const { host, port } = parseListen(flag('listen', 'CNPAAS_SMTP_LISTEN') ?? DEFAULT_SMTP_LISTEN, 'listen', DEFAULT_SMTP_LISTEN);
  const mailDir = flag('mail-dir', 'CNPAAS_SMTP_MAIL_DIR');
  if (!mailDir) throw bad('mail-dir', 'is required', 'e.g. --mail-dir .cnpaas/mail');
  const certFile = flag('cert-file', 'CNPAAS_SMTP_CERT_FILE');
  const keyFile = flag('key-file', 'CNPAAS_SMTP_KEY_FILE');
  if (!!certFile !== !!keyFile) throw bad(certFile ? 'key-file' : 'cert-file', 'is required with the other one', 'pass both --cert-file and --key-file, or neither');
  // AUTH goes over the wire in plain text without TLS: only on loopback.
  if (!certFile && !isLoopback(host)) throw bad('listen', `${host} is not a loopback address`, 'listen on 127.0.0.1, or pass --cert-file/--key-file for STARTTLS');

  let auth: SmtpSinkConfig['auth'] = false;
  if (!values['insecure-no-auth']) {
    const passwordFile = flag('password-file', 'CNPAAS_SMTP_PASSWORD_FILE');
    if (!passwordFile) throw bad('password-file', 'is required', 'write the AUTH password to a file (mode 0600) and pass it, or --insecure-no-auth for tests');
    auth = { user: flag('user', 'CNPAAS_SMTP_USER') ?? DEFAULT_SMTP_USER, password: readSecretFile(resolve(passwordFile), 'password-file') };
  }
  const healthText = flag('listen-health', 'CNPAAS_SMTP_LISTEN_HEALTH');
  const logLevel = flag('log-level', 'LOG_LEVEL') ?? 'info';
  if (!LEVELS.includes(logLevel)) throw bad('log-level', `"${logLevel}" is not a level`, 'use debug, info, warn or error');
  return {
    host,
    port,
    mailDir: resolve(mailDir),
    auth,
    certFile: certFile ? resolve(certFile) : undefined,
    keyFile: keyFile ? resolve(keyFile) : undefined,
    health: healthText ? parseListen(healthText, 'listen-health', '127.0.0.1:2526') : undefined,
    logLevel,
  };
}
