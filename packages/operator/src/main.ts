/**
 * cnpaas-operator: parses flags, then starts the controllers (run.ts).
 * Exit codes: 0 after a clean stop, 2 for a configuration error (message and
 * fix on stderr), 1 for anything unexpected (including a lost Lease).
 */
import { readFileSync } from 'node:fs';
import { USAGE, parseConfig } from './config.js';
import { OperatorError } from './errors.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2), process.env);
  if (config === 'help') return void process.stdout.write(USAGE);
  if (config === 'version') return void process.stdout.write(`cnpaas-operator ${pkg.version}\n`);
  const { run } = await import('./run.js');
  await run(config, pkg.version);
}

main().catch((err: unknown) => {
  if (err instanceof OperatorError) {
    process.stderr.write(`cnpaas-operator: ${err.describe()}\n`);
    process.exit(2);
  }
  process.stderr.write(`cnpaas-operator: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
