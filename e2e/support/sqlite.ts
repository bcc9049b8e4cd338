/** Where each object landed, read from the store's SQLite files (read-only; the store owns the schema). */
import path from 'node:path';
import { liveKeys as liveKeysIn } from '@cnpaas/storage-shim/inspect';

/** Live keys under `prefix` in one backend file of the stack. */
export function liveKeys(stateDir: string, file: string, prefix: string): string[] {
  return liveKeysIn(path.join(stateDir, 'data'), file, prefix);
}
