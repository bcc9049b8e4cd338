import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface UnbuiltRun {
  status: number | null;
  /** Trimmed, so a test compares the one line the launcher prints. */
  stderr: string;
}

/**
 * Runs a committed `bin/*.js` launcher from a copy with no `dist/` beside
 * it, as a fresh checkout would: every launcher must then exit 1 with
 * "<name>: not built: run npm run build" instead of a module-not-found stack.
 * The copy lives in its own temp directory, removed before returning.
 */
export function runUnbuiltLauncher(launcher: string | URL): UnbuiltRun {
  const source = launcher instanceof URL ? fileURLToPath(launcher) : launcher;
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-unbuilt-'));
  try {
    mkdirSync(join(dir, 'bin'));
    const copy = join(dir, 'bin', basename(source));
    copyFileSync(source, copy);
    const result = spawnSync(process.execPath, [copy], { encoding: 'utf8', timeout: 20_000 });
    return { status: result.status, stderr: result.stderr.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What `runUnbuiltLauncher` must get from the launcher of bin `name`: exit 1 and the one line that says what to run. */
export function notBuiltRun(name: string): UnbuiltRun {
  return { status: 1, stderr: `${name}: not built: run npm run build` };
}
