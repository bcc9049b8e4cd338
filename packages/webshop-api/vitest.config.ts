import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Pure functions and files read from disk: no servers, no child processes.
export default tieredConfig({ name: 'webshop-api' });
