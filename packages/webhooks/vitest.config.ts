import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Hashing at the production cost (argon2id, and scrypt for the hashes made before it) takes up to a few hundred ms
// per hash on 2 cores, hence the margin.
// Live files each start a control plane (or the bin), so they run one after another.
export default tieredConfig({ name: 'webhooks', unitTimeout: 30_000, liveSerial: true });
