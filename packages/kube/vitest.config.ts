import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Unit tests run on the fake clock; the one HTTP test uses a loopback server, so files may run in parallel.
export default tieredConfig({ name: 'kube' });
