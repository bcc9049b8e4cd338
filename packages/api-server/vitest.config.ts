import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Unit tests and loopback HTTPS servers (ours and a fake kube API) per file; the live tier spawns the bin.
export default tieredConfig({ name: 'api-server' });
