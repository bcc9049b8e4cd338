import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Unit tests run on the fake clock and a loopback server, so they may run in parallel; live files each start a
// control plane, so they run one after another.
export default tieredConfig({ name: 'kube', liveSerial: true });
