import { tieredConfig } from './lib/vitest-tiers.js';

// Repo tooling's own tests (the error catalogue); unit tier only, run by the root project's test:unit.
export default tieredConfig({ name: 'scripts', roots: ['.'], unitTimeout: 60_000 });
