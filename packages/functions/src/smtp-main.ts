/**
 * cnpaas-smtp: the demo's SMTP sink (mail/smtp-sink.ts) as a process.
 * Exit codes: 0 after a clean stop, 2 for a configuration error (message and
 * fix on stderr), 1 for anything unexpected.
 */
import { hostPort, readPem, runMain, runUntilStopped, startHealthServer, type HealthServer } from '@cnpaas/service-kit';
import { FunctionsError } from './errors.js';
import { createLogger } from './logger.js';
import { SMTP_USAGE, parseSmtpConfig, type SmtpSinkConfig } from './mail/smtp-config.js';
import { smtpMetricsRegistry } from './mail/smtp-metrics.js';
import { SmtpSink } from './mail/smtp-sink.js';

// cnpaas up issues the STARTTLS certificate from its CA; anywhere else it is the operator's own.
const PEM_HINT = 'point the flag at a readable PEM file (cnpaas up: <state-dir>/pki/smtp-serving.crt and .key)';

function readTls(config: SmtpSinkConfig): { cert: Buffer; key: Buffer } | undefined {
  if (!config.certFile || !config.keyFile) return undefined;
  return {
    cert: readPem(config.certFile, { flag: 'cert-file', hint: PEM_HINT, error: FunctionsError.kit }),
    key: readPem(config.keyFile, { flag: 'key-file', hint: PEM_HINT, error: FunctionsError.kit }),
  };
}

async function run(config: SmtpSinkConfig, version: string): Promise<void> {
  const log = createLogger({ level: config.logLevel, component: 'cnpaas-smtp' });
  const tls = readTls(config);
  const sink = new SmtpSink({ mailDir: config.mailDir, auth: config.auth, log, ...(tls ? { tls } : {}) });
  const bound = await sink.listen({ host: config.host, port: config.port });
  let health: HealthServer | undefined;
  if (config.health) {
    // Ready as soon as it listens: the sink needs nothing else.
    health = await startHealthServer({
      ...config.health,
      ready: () => ({ ready: true, state: 'listening' }),
      registry: smtpMetricsRegistry(sink.stats),
      error: FunctionsError.kit,
    });
    log.info({ url: health.url }, 'health endpoints listening');
  }
  log.info(
    {
      smtp: hostPort(bound.host, bound.port),
      mailDir: config.mailDir,
      auth: config.auth !== false,
      starttls: !!config.certFile,
      version,
    },
    'listening',
  );
  if (config.auth === false) log.warn('--insecure-no-auth: accepting mail without AUTH');

  await runUntilStopped({
    log,
    close: async () => {
      await health?.close();
      await sink.close();
    },
  });
}

runMain({
  bin: 'cnpaas-smtp',
  packageJson: new URL('../package.json', import.meta.url),
  usage: SMTP_USAGE,
  parse: parseSmtpConfig,
  run,
});
