/**
 * cnpaas-console: parses flags, then starts the server (run.ts).
 * Exit codes: 0 after a clean stop, 2 for a configuration error (message and
 * fix on stderr), 1 for anything unexpected.
 */
import { runMain } from '@cnpaas/service-kit';
import { USAGE, parseConfig } from './config.js';

runMain({
  bin: 'cnpaas-console',
  packageJson: new URL('../package.json', import.meta.url),
  usage: USAGE,
  parse: parseConfig,
  run: async (config, version) => (await import('./run.js')).run(config, version),
});
