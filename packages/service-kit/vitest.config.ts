import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Loopback servers in unit tests; the live tier runs real child processes (the signal loop needs one).
export default tieredConfig({ name: 'service-kit' });
