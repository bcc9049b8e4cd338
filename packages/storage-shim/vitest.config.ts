import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Live suites start real servers (the store, etcd); one file at a time keeps 2 cores honest.
export default tieredConfig({ name: 'storage-shim', roots: ['src', 'test'], liveSerial: true });
