import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Loopback servers and short-lived child processes (the signal loop needs a real process): files may run in parallel.
    testTimeout: 20_000,
    reporters: ['default', ['json', { outputFile: '../../test-results/service-kit.json' }]],
  },
});
