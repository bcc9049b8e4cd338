import { tieredConfig } from '../../scripts/lib/vitest-tiers.js';

// Unit tests drive the server with fastify.inject; the live tier starts a whole stack and a browser, one file at a time.
export default tieredConfig({
  name: 'console',
  roots: ['src', 'test'],
  liveSerial: true,
  liveTimeout: 180_000,
  liveHookTimeout: 600_000,
});
