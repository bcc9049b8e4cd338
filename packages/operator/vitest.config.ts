import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Unit tests run on the fake clock; the one HTTP test uses a loopback server, so files may run in parallel.
    testTimeout: 20_000,
    reporters: ['default', ['json', { outputFile: '../../test-results/operator.json' }]],
  },
});
