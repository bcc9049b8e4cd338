/**
 * The layout of a state directory (`.cnpaas/` by default; tests use their
 * own) and `state.json`, the record of what `cnpaas up` started.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
  /** Mail received by the demo's SMTP server (`cnpaas mail`). */
  mail: string;
  /** The store's unix socket (mode 0600): kube-apiserver's only way in. */
  storeSocket: string;
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
    mail: path.join(abs, 'mail'),
    storeSocket: path.join(abs, 'run', 'store.sock'),
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

export function ensureStateDirs(paths: StatePaths): void {
  for (const dir of [paths.root, paths.data, paths.logs, paths.run]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.pki, { recursive: true, mode: 0o700 });
}

export interface ComponentState {
  pid: number | null;
  /** starting | ready | restarting | stopped | failed */
  phase: string;
  restarts: number;
  log: string;
  healthUrl: string;
  /** The executable, to recognise the pid before signalling it. */
  executable: string;
}

export interface PlatformState {
  version: 1;
  ports: Record<string, number>;
  topology: string;
  supervisor: { pid: number; startedAt: string } | null;
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
    throw new PlatformError('CNPAAS_PLATFORM_STATE', `${paths.stateFile} is not a state file cnpaas understands: ${(err as Error).message}`,
      'run `cnpaas down` (it stops what it can find), or remove the file if nothing is running');
  }
}

/** Atomic: a reader never sees half a file. */
export function writeState(paths: StatePaths, state: PlatformState): void {
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, paths.stateFile);
}
