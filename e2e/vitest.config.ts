import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // One live stack per file, one file at a time (DESIGN.md "Stacks in tests").
    fileParallelism: false,
    // The demo's narrative is the output: print it as it happens, in order.
    sequence: { concurrent: false },
    testTimeout: 120_000,
    hookTimeout: 600_000,
    reporters: ['default', ['json', { outputFile: '../test-results/e2e.json' }]],
  },
});
