import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Every file starts its own loopback SMTP sink (and HTTPS server) on port 0 in its own temp mail dir, so files may run in parallel.
export default tieredConfig({ name: 'functions', unitTimeout: 30_000 });
