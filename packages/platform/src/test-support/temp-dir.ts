import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/**
 * A fresh temp directory for each test of the calling describe block,
 * removed after it. `dir` is set when beforeEach has run, so tests (not the
 * describe body) read it.
 */
export function useTempDir(prefix: string): { dir: string } {
  const holder = { dir: '' };
  beforeEach(() => {
    holder.dir = mkdtempSync(path.join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(holder.dir, { recursive: true, force: true }));
  return holder;
}
