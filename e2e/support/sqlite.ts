/** Where each object landed, read from the store's SQLite files (read-only; the store owns the schema). */
import path from 'node:path';
import { keysContaining, liveKeys as liveKeysIn } from '@cnpaas/storage-shim/inspect';

/** Live keys under `prefix` in one backend file of the stack. */
export function liveKeys(stateDir: string, file: string, prefix: string): string[] {
  return liveKeysIn(path.join(stateDir, 'data'), file, prefix);
}

/** Every key (live or historical) containing `needle`, per backend file that has one. */
export function whereKeys(stateDir: string, files: string[], needle: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of files) {
    const keys = new Set([
      ...keysContaining(path.join(stateDir, 'data'), file, 'kv', needle),
      ...keysContaining(path.join(stateDir, 'data'), file, 'history', needle),
    ]);
    if (keys.size > 0) out[file] = [...keys].sort();
  }
  return out;
}
