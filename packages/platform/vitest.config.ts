import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The control-plane suites share one stack each and must not overlap on 2 cores (DESIGN.md "Stacks in tests").
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 600_000,
    reporters: ['default', ['json', { outputFile: '../../test-results/platform.json' }]],
  },
});
