/**
 * cnpaas-trigger: parses flags, then runs the HTTPTrigger controller
 * (trigger/run.ts). Exit codes: 0 after a clean stop, 2 for a configuration
 * error (message and fix on stderr), 1 for anything unexpected.
 */
import { readFileSync } from 'node:fs';
import { FunctionsError } from './errors.js';
import { TRIGGER_USAGE, parseTriggerConfig } from './trigger/config.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

async function main(): Promise<void> {
  const config = parseTriggerConfig(process.argv.slice(2), process.env);
  if (config === 'help') return void process.stdout.write(TRIGGER_USAGE);
  if (config === 'version') return void process.stdout.write(`cnpaas-trigger ${pkg.version}\n`);
  const { run } = await import('./trigger/run.js');
  await run(config, pkg.version);
}

main().catch((err: unknown) => {
  if (err instanceof FunctionsError) {
    process.stderr.write(`cnpaas-trigger: ${err.describe()}\n`);
    process.exit(2);
  }
  process.stderr.write(`cnpaas-trigger: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
