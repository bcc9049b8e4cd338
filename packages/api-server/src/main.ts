/**
 * cnpaas-api-server: parses flags, then starts the server (run.ts).
 * Exit codes: 0 after a clean stop, 2 for a configuration error (message and
 * fix on stderr), 1 for anything unexpected.
 */
import { readFileSync } from 'node:fs';
import { USAGE, parseConfig } from './config.js';
import { ApiServerError } from './errors.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2), process.env);
  if (config === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (config === 'version') {
    process.stdout.write(`cnpaas-api-server ${pkg.version}\n`);
    return;
  }
  const { run } = await import('./run.js');
  await run(config, pkg.version);
}

main().catch((err: unknown) => {
  if (err instanceof ApiServerError) {
    process.stderr.write(`cnpaas-api-server: ${err.describe()}\n`);
    process.exit(2);
  }
  process.stderr.write(`cnpaas-api-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
