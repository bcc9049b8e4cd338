#!/usr/bin/env node
import { existsSync } from 'node:fs';

const entry = new URL('../dist/codegen/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('cnpaas-crd-codegen: not built: run npm run build');
  process.exit(1);
}
await import(entry.href);
