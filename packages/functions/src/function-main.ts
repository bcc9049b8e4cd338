/**
 * cnpaas-email-function: parses flags, then starts the server (function/run.ts).
 * Exit codes: 0 after a clean stop, 2 for a configuration error (message and
 * fix on stderr), 1 for anything unexpected.
 */
import { readFileSync } from 'node:fs';
import { FUNCTION_USAGE, parseFunctionConfig } from './function/config.js';
import { FunctionsError } from './errors.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

async function main(): Promise<void> {
  const config = parseFunctionConfig(process.argv.slice(2), process.env);
  if (config === 'help') return void process.stdout.write(FUNCTION_USAGE);
  if (config === 'version') return void process.stdout.write(`cnpaas-email-function ${pkg.version}\n`);
  const { run } = await import('./function/run.js');
  await run(config, pkg.version);
}

main().catch((err: unknown) => {
  if (err instanceof FunctionsError) {
    process.stderr.write(`cnpaas-email-function: ${err.describe()}\n`);
    process.exit(2);
  }
  process.stderr.write(`cnpaas-email-function: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
