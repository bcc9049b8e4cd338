import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// The control-plane suites share one stack each and must not overlap on 2 cores (docs/design.md, "Tests").
export default tieredConfig({
  name: 'platform',
  roots: ['src', 'test', 'bench'],
  liveSerial: true,
  liveHookTimeout: 600_000,
});
