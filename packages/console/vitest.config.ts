import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Unit tests drive the server with fastify.inject and in-memory collections; the browser test on a live
// stack is e2e/tests/console.live.test.ts (the stack's own console, started by cnpaas up).
export default tieredConfig({ name: 'console' });
