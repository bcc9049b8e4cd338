import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The browser side: plain TypeScript and DOM, bundled into dist/public, which the server serves. No CDN.
export default defineConfig({
  root: fileURLToPath(new URL('./client', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('./dist/public', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
});
