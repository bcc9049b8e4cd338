import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// The live test generates a service in a copy of the workspace and runs its live test (a control plane):
// one at a time on CI's two cores.
export default tieredConfig({ name: 'nx-plugin', liveSerial: true, liveTimeout: 300_000, liveHookTimeout: 300_000 });
