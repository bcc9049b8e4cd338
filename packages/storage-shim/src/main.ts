import { readFileSync } from 'node:fs';
import pino from 'pino';
import { USAGE, parseFlags } from './config/flags.js';
import { StoreError } from './errors.js';
import { startStoreServer } from './store-server.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

async function main(): Promise<void> {
  const config = parseFlags(process.argv.slice(2));
  if (config === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (config === 'version') {
    process.stdout.write(`cnpaas-store ${pkg.version}\n`);
    return;
  }
  const log = pino({ level: config.logLevel, base: { component: 'cnpaas-store' } });
  const server = await startStoreServer(config, log);
  const stop = (signal: string) => {
    log.info({ signal }, 'stopping');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // A replica whose topology another replica replaced has closed itself; it exits like a refused start.
  void server.stoppedItself.then((reason) => {
    process.stderr.write(`cnpaas-store: ${reason.describe()}\n`);
    process.exit(2);
  });
  process.on('SIGHUP', () => {
    try {
      const added = server.reloadTopology();
      log.info({ added }, 'topology reloaded');
    } catch (err) {
      log.error(
        { err: err instanceof StoreError ? err.describe() : err },
        'topology reload refused; keeping the current routes',
      );
    }
  });
}

main().catch((err: unknown) => {
  if (err instanceof StoreError) {
    process.stderr.write(`cnpaas-store: ${err.describe()}\n`);
    process.exit(2);
  }
  process.stderr.write(`cnpaas-store: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
