import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Pure unit tests plus one loopback HTTPS server per server test: files may run in parallel.
    // scrypt at the production cost takes a few hundred ms per hash on 2 cores, hence the margin.
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: '../../test-results/webhooks.json' }]],
  },
});
