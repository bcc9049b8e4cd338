import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Unit tests plus loopback HTTPS servers (ours and a fake kube API) per file: files may run in parallel.
    testTimeout: 20_000,
    reporters: ['default', ['json', { outputFile: '../../test-results/api-server.json' }]],
  },
});
