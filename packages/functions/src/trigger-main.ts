/**
 * cnpaas-trigger: parses flags, then runs the HTTPTrigger controller
 * (trigger/run.ts). Exit codes: 0 after a clean stop, 2 for a configuration
 * error (message and fix on stderr), 1 for anything unexpected.
 */
import { runMain } from '@cnpaas/service-kit';
import { TRIGGER_USAGE, parseTriggerConfig } from './trigger/config.js';

runMain({
  bin: 'cnpaas-trigger',
  packageJson: new URL('../package.json', import.meta.url),
  usage: TRIGGER_USAGE,
  parse: parseTriggerConfig,
  run: async (config, version) => (await import('./trigger/run.js')).run(config, version),
});
