import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Every test file starts its own loopback SMTP sink (and HTTPS server) on port 0, in its own temp
    // mail dir, so files may run in parallel.
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: '../../test-results/functions.json' }]],
  },
});
