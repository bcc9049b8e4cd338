/**
 * cnpaas-smtp: the demo's SMTP sink (mail/smtp-sink.ts) as a process.
 * Exit codes: 0 after a clean stop, 2 for a configuration error (message and
 * fix on stderr), 1 for anything unexpected.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { FunctionsError, errorMessage } from './errors.js';
import { hostPort } from './listen-address.js';
import { createLogger } from './logger.js';
import { counterText, startHealthServer } from './mail/health-server.js';
import { SMTP_USAGE, parseSmtpConfig } from './mail/smtp-config.js';
import { SmtpSink } from './mail/smtp-sink.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new FunctionsError('CNPAAS_FUNCTIONS_TLS', `cannot read ${flag} ${file}: ${errorMessage(err)}`, { hint: 'point the flag at a readable PEM file', cause: err });
  }
}

async function main(): Promise<void> {
  const config = parseSmtpConfig(process.argv.slice(2), process.env);
  if (config === 'help') return void process.stdout.write(SMTP_USAGE);
  if (config === 'version') return void process.stdout.write(`cnpaas-smtp ${pkg.version}\n`);
  const log = createLogger({ level: config.logLevel, component: 'cnpaas-smtp' });
  const sink = new SmtpSink({
    mailDir: config.mailDir,
    auth: config.auth,
    log,
    ...(config.certFile && config.keyFile ? { tls: { cert: readPem(config.certFile, '--cert-file'), key: readPem(config.keyFile, '--key-file') } } : {}),
  });
  const bound = await sink.listen({ host: config.host, port: config.port });
  let ready = true;
  let health: http.Server | undefined;
  if (config.health) {
    const started = await startHealthServer(
      {
        ready: () => ready,
        metrics: () =>
          counterText({
            cnpaas_smtp_messages_stored_total: { help: 'Messages accepted and stored in the mail directory', value: sink.stats.stored },
            cnpaas_smtp_commands_refused_total: { help: 'MAIL, RCPT or DATA commands refused (faults, oversize)', value: sink.stats.refused },
            cnpaas_smtp_auth_failures_total: { help: 'AUTH attempts with a wrong user name or password', value: sink.stats.authFailures },
          }),
      },
      config.health,
    );
    health = started.server;
    log.info({ url: `http://${hostPort(config.health.host, started.port)}` }, 'health endpoints listening');
  }
  log.info({ smtp: hostPort(bound.host, bound.port), mailDir: config.mailDir, auth: config.auth !== false, starttls: !!config.certFile, version: pkg.version }, 'listening');
  if (config.auth === false) log.warn('--insecure-no-auth: accepting mail without AUTH');

  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping');
    ready = false;
    health?.close();
    sink.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: errorMessage(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof FunctionsError) {
    process.stderr.write(`cnpaas-smtp: ${err.describe()}\n`);
    process.exit(2);
  }
  process.stderr.write(`cnpaas-smtp: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
