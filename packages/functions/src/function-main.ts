/**
 * cnpaas-email-function: parses flags, then starts the server (function/run.ts).
 * Exit codes: 0 after a clean stop, 2 for a configuration error (message and
 * fix on stderr), 1 for anything unexpected.
 */
import { runMain } from '@cnpaas/service-kit';
import { FUNCTION_USAGE, parseFunctionConfig } from './function/config.js';

runMain({
  bin: 'cnpaas-email-function',
  packageJson: new URL('../package.json', import.meta.url),
  usage: FUNCTION_USAGE,
  parse: parseFunctionConfig,
  run: async (config, version) => (await import('./function/run.js')).run(config, version),
});
