/**
 * The layout of a state directory (`.cnpaas/` by default; tests use their
 * own), the marker file that makes a directory one, and `state.json`, the
 * record of what `cnpaas up` started.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { PlatformError } from './errors.js';

export interface StatePaths {
  root: string;
  data: string;
  pki: string;
  logs: string;
  run: string;
  kubeconfig: string;
  stateFile: string;
  /** The store's unix socket (mode 0600): kube-apiserver's only way in. */
  storeSocket: string;
  /** Written by `cnpaas up`; `cnpaas down --purge` deletes only a directory that has it. */
  marker: string;
}

export function statePaths(root: string): StatePaths {
  const abs = path.resolve(root);
  return {
    root: abs,
    data: path.join(abs, 'data'),
    pki: path.join(abs, 'pki'),
    logs: path.join(abs, 'logs'),
    run: path.join(abs, 'run'),
    kubeconfig: path.join(abs, 'kubeconfig'),
    stateFile: path.join(abs, 'state.json'),
    storeSocket: path.join(abs, 'run', 'store.sock'),
    marker: path.join(abs, STATE_DIR_MARKER),
  };
}

/** A path as a person wants to read it: relative when under the working directory. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Where the state lives: `--state-dir`, else `CNPAAS_STATE_DIR`, else `.cnpaas`. */
export function defaultStateDir(flag?: string): string {
  return path.resolve(flag ?? process.env.CNPAAS_STATE_DIR ?? '.cnpaas');
}

/** Creates (or takes on) the state directory, marks it as cnpaas's, and makes its subdirectories. */
export function ensureStateDirs(paths: StatePaths, protectedDirs: ProtectedDirs = defaultProtectedDirs()): void {
  claimStateDir(paths, protectedDirs);
  for (const dir of [paths.data, paths.logs, paths.run]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.pki, { recursive: true, mode: 0o700 });
}

/**
 * The marker's name and first line. The line carries a format number so a
 * later layout can be told apart; `--purge` accepts only formats it knows.
 */
export const STATE_DIR_MARKER = '.cnpaas-state-dir';
const MARKER_FIRST_LINE = 'cnpaas-state-dir 1';
const MARKER_TEXT = `${MARKER_FIRST_LINE}
This directory holds the state of a local cnpaas stack (data, PKI, logs).
cnpaas up wrote this file; cnpaas down --purge removes the directory only while it is here.
`;

/** Whether `dir` carries a marker cnpaas wrote: null if so, else what is wrong. */
export function markerProblem(dir: string): string | null {
  const file = path.join(dir, STATE_DIR_MARKER);
  let stat;
  try {
    stat = lstatSync(file);
  } catch {
    return `it has no ${STATE_DIR_MARKER} (the file cnpaas up writes into its state directory)`;
  }
  // A symlink could borrow another directory's marker.
  if (!stat.isFile()) return `its ${STATE_DIR_MARKER} is not a regular file`;
  const first = readFileSync(file, 'utf8').split('\n', 1)[0];
  return first === MARKER_FIRST_LINE
    ? null
    : `its ${STATE_DIR_MARKER} starts with "${first}", not "${MARKER_FIRST_LINE}" (written by another cnpaas version?)`;
}

/**
 * Directories that are never a state directory, however they are spelled: the
 * filesystem root, the home directory and everything above it, and the usual
 * system directories (Linux and macOS). Only these exact directories, not
 * what is under them: /var/lib/cnpaas or a temp dir under /tmp is fine.
 */
export interface ProtectedDirs {
  home: string;
  system: readonly string[];
}

const SYSTEM_DIRS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/media',
  '/mnt',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/snap',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/bin',
  '/usr/lib',
  '/usr/local',
  '/usr/sbin',
  '/usr/share',
  '/var',
  '/var/lib',
  '/var/log',
  '/var/tmp',
  '/Applications',
  '/Library',
  '/System',
  '/Users',
  '/Volumes',
  '/private',
  '/private/etc',
  '/private/tmp',
  '/private/var',
];

export function defaultProtectedDirs(): ProtectedDirs {
  return { home: homedir(), system: [...SYSTEM_DIRS, tmpdir()] };
}

function realOrSelf(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/**
 * Why `dir` must not be a state directory, or null. Both the path as given and
 * its real path are checked (against the protected directories' real paths as
 * well), so a symlink to /etc, or /bin on a merged-/usr system, is caught too.
 */
export function protectedDirProblem(dir: string, protectedDirs: ProtectedDirs = defaultProtectedDirs()): string | null {
  const spellings = new Set([path.resolve(dir), realOrSelf(dir)]);
  const home = new Set([path.resolve(protectedDirs.home), realOrSelf(protectedDirs.home)]);
  for (const candidate of spellings) {
    if (candidate === path.parse(candidate).root) return 'it is the filesystem root';
    for (const h of home) {
      if (candidate === h) return 'it is your home directory';
      if (isUnder(h, candidate)) return `it contains your home directory ${h}`;
    }
    for (const system of protectedDirs.system) {
      if (candidate === path.resolve(system) || candidate === realOrSelf(system))
        return `it is the system directory ${system}`;
    }
  }
  return null;
}

function isUnder(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

export function assertNotProtected(dir: string, protectedDirs: ProtectedDirs = defaultProtectedDirs()): void {
  const problem = protectedDirProblem(dir, protectedDirs);
  if (problem) {
    throw new PlatformError('CNPAAS_PLATFORM_STATE', `${dir} cannot be a cnpaas state directory: ${problem}`, {
      hint: 'give cnpaas a directory of its own with --state-dir (or CNPAAS_STATE_DIR), e.g. .cnpaas in your project',
    });
  }
}

/**
 * Marks the state directory as cnpaas's, so `--purge` can later tell it from
 * any other directory. A new or empty directory is taken on; so is one an
 * earlier cnpaas left without a marker (it has state.json or run/plan.json).
 * Any other non-empty directory is refused: `--purge` would delete what else
 * is in it.
 */
function claimStateDir(paths: StatePaths, protectedDirs: ProtectedDirs): void {
  assertNotProtected(paths.root, protectedDirs);
  mkdirSync(paths.root, { recursive: true, mode: 0o700 });
  const problem = markerProblem(paths.root);
  if (problem === null) return;
  const hasMarkerFile = exists(paths.marker);
  const earlierCnpaas = exists(paths.stateFile) || exists(path.join(paths.run, 'plan.json'));
  if (hasMarkerFile || (readdirSync(paths.root).length > 0 && !earlierCnpaas)) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_STATE',
      `${paths.root} is not a cnpaas state directory: ${problem}, and it is not empty`,
      {
        hint: 'give cnpaas a new or empty directory with --state-dir (or CNPAAS_STATE_DIR); it keeps its data, PKI and logs there',
      },
    );
  }
  // 'wx': never write through a symlink someone placed at the marker's name.
  writeFileSync(paths.marker, MARKER_TEXT, { mode: 0o600, flag: 'wx' });
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

export interface ComponentState {
  pid: number | null;
  /** starting | ready | restarting | stopped | failed */
  phase: string;
  restarts: number;
  log: string;
  healthUrl: string;
  /**
   * The CA that signed the component's serving certificate (components may be served by different CAs);
   * absent in older files, where the cluster CA is meant.
   */
  healthCaFile?: string | null;
  /** The executable, to recognise the pid before signalling it. */
  executable: string;
  /** The pid's start time at spawn (/proc/<pid>/stat starttime); null where there is no /proc, absent in older files. */
  startTicks?: number | null;
}

export interface PlatformState {
  version: 1;
  ports: Record<string, number>;
  topology: string;
  /** `startTicks` as for a component. */
  supervisor: { pid: number; startedAt: string; startTicks?: number | null } | null;
  components: Record<string, ComponentState>;
  /** Set by the supervisor once every component answered ready. */
  readyAt: string | null;
}

export function readState(paths: StatePaths): PlatformState | null {
  let text: string;
  try {
    text = readFileSync(paths.stateFile, 'utf8');
  } catch {
    return null;
  }
  try {
    const state = JSON.parse(text) as PlatformState;
    if (state.version !== 1) throw new Error(`unknown version ${String(state.version)}`);
    return state;
  } catch (err) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_STATE',
      `${paths.stateFile} is not a state file cnpaas understands: ${(err as Error).message}`,
      { hint: 'run `cnpaas down` (it stops what it can find), or remove the file if nothing is running' },
    );
  }
}

/** Atomic: a reader never sees half a file. */
export function writeState(paths: StatePaths, state: PlatformState): void {
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, paths.stateFile);
}
