import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Unit tests and loopback HTTPS servers (ours and a fake kube API) per file; live files each start a control plane
// (or spawn the bin), so they run one after another.
export default tieredConfig({ name: 'api-server', liveSerial: true });
