import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Pure functions over temp files; the composition runs live under cnpaas up (packages/platform, e2e).
export default tieredConfig({ name: 'webshop' });
