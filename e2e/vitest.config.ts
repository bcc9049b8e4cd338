import { tieredConfig } from '../scripts/lib/vitest-tiers.js';

// Every suite here is live: one stack per file, one file at a time.
const config = tieredConfig({
  name: 'e2e',
  roots: ['tests'],
  liveSerial: true,
  liveTimeout: 120_000,
  liveHookTimeout: 600_000,
});
// The demo's narrative is the output: print it as it happens, in order.
config.test = { ...config.test, sequence: { concurrent: false } };
export default config;
