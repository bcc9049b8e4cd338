import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// scrypt at the production cost takes a few hundred ms per hash on 2 cores, hence the margin.
export default tieredConfig({ name: 'webhooks', unitTimeout: 30_000 });
