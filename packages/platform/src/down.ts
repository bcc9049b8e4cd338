/**
 * `cnpaas down`: stop the supervisor (it stops its components in reverse
 * order), then any component a dead supervisor left behind, by pid and only
 * if the pid still runs what we started (processes.ts). `--purge` removes the
 * state directory, and only one `cnpaas up` marked as its own.
 */
import { lstatSync, readdirSync, realpathSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { PlatformError } from './errors.js';
import { identifyProcess, terminate } from './processes.js';
import {
  assertNotProtected,
  defaultProtectedDirs,
  displayPath,
  markerProblem,
  readState,
  statePaths,
  writeState,
  type ProtectedDirs,
  type StatePaths,
} from './state-dir.js';
import { supervisorMarker } from './supervise.js';

export interface DownOptions {
  stateDir: string;
  purge?: boolean;
  say?: (line: string) => void;
}

interface Recorded {
  /** How `say` names it: "the supervisor", "store". */
  label: string;
  pid: number | null;
  marker: string;
  startTicks?: number | null;
}

/** Signals a recorded process if it is still ours; true if it was. A pid now used by another process is left alone. */
async function stopRecorded(
  p: Recorded,
  graceMs: number,
  stopping: string,
  say: (line: string) => void,
): Promise<boolean> {
  const identity = identifyProcess(p.pid, p.marker, p.startTicks);
  if (identity === 'other') {
    say(
      `! ${p.label}: pid ${p.pid} now belongs to another process (not the command line or start time cnpaas recorded); treating ${p.label} as gone, not signalling it`,
    );
  }
  if (identity !== 'ours') return false;
  say(stopping);
  await terminate(p.pid!, p.marker, graceMs, p.startTicks);
  return true;
}

export async function stopStack(paths: StatePaths, say: (line: string) => void): Promise<boolean> {
  const state = readState(paths);
  if (!state) return false;
  let stopped = false;
  const sup = state.supervisor;
  if (sup) {
    stopped = await stopRecorded(
      { label: 'the supervisor', pid: sup.pid, marker: supervisorMarker(paths), startTicks: sup.startTicks },
      90_000,
      `… stopping the supervisor (pid ${sup.pid}) and its components`,
      say,
    );
  }
  const after = readState(paths) ?? state;
  for (const [name, component] of Object.entries(after.components)) {
    const record = { label: name, pid: component.pid, marker: component.executable, startTicks: component.startTicks };
    if (
      await stopRecorded(
        record,
        15_000,
        `… stopping ${name} (pid ${component.pid}), left by a supervisor that is gone`,
        say,
      )
    )
      stopped = true;
    component.pid = null;
    component.startTicks = null;
    component.phase = 'stopped';
  }
  after.supervisor = null;
  after.readyAt = null;
  writeState(paths, after);
  return stopped;
}

export async function down(options: DownOptions): Promise<void> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const paths = statePaths(options.stateDir);
  const stopped = await stopStack(paths, say);
  say(stopped ? `✓ stopped cnpaas in ${paths.root}` : `nothing was running in ${paths.root}`);
  if (options.purge) purgeStateDir(paths.root, say);
}

/**
 * Deletes a state directory, after checking it is one: not a protected
 * directory (the root, home and above, system directories; see
 * state-dir.ts), and carrying the marker `cnpaas up` writes. A state dir that
 * is itself a symlink is resolved: the checks apply to the real directory,
 * which is deleted, and then the link. Inside, symlinks are removed, never
 * followed, so a link to elsewhere cannot take that elsewhere with it.
 */
export function purgeStateDir(
  root: string,
  say: (line: string) => void,
  protectedDirs: ProtectedDirs = defaultProtectedDirs(),
): void {
  let link;
  try {
    link = lstatSync(root);
  } catch {
    return; // nothing to remove
  }
  const real = realpathSync(root);
  assertNotProtected(root, protectedDirs);
  assertNotProtected(real, protectedDirs);
  const problem = statSync(real).isDirectory() ? markerProblem(real) : 'it is not a directory';
  if (problem) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_STATE',
      `${real} is not a cnpaas state directory, not removing it: ${problem}`,
      {
        hint: 'check --state-dir / CNPAAS_STATE_DIR; a state directory left by a cnpaas without the marker can be removed by hand',
      },
    );
  }
  removeTree(real);
  if (link.isSymbolicLink()) unlinkSync(root);
  say(`✓ removed ${displayPath(root)}${real === root ? '' : ` (${real})`} (data, PKI, logs)`);
}

/**
 * `rm -r` that never follows a symlink: directory entries come from readdir's
 * file types (lstat semantics), so a link to a directory is unlinked like a
 * file. Written out rather than left to fs.rmSync so this rests on no
 * implementation detail. An entry that vanished meanwhile is fine.
 */
function removeTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removeTree(file);
      continue;
    }
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  rmdirSync(dir);
}
