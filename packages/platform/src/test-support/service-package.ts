import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A service package under `dir`, an ES module whose entry is `source`; returns its directory. */
export function writeServicePackage(dir: string, name: string, source: string): string {
  const pkg = path.join(dir, name);
  mkdirSync(pkg);
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name, type: 'module', exports: './index.js' }));
  writeFileSync(path.join(pkg, 'index.js'), source);
  return pkg;
}
