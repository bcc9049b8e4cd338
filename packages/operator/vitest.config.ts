import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Unit tests run on the fake clock and may run in parallel; each live file boots its own control
// plane, so live files run one at a time (four at once would crowd two cores).
export default tieredConfig({ name: 'operator', liveSerial: true });
