#!/usr/bin/env node
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('cnpaas-console: not built: run npm run build');
  process.exit(1);
}
await import(entry.href);
