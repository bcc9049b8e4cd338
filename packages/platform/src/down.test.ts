import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { down, purgeStateDir } from './down.js';
import { ensureStateDirs, protectedDirProblem, STATE_DIR_MARKER, statePaths, type ProtectedDirs } from './state-dir.js';

// Every test works in its own temp dir; "home" and "system" directories are temp dirs
// passed in, so no test depends on (or could touch) the machine's real ones.
describe('cnpaas down --purge', () => {
  let tmp: string;
  let none: ProtectedDirs;
  const said: string[] = [];
  const say = (line: string) => said.push(line);
  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'cnp-purge-'));
    none = { home: path.join(tmp, 'home'), system: [] };
    said.length = 0;
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  /** A state dir as `cnpaas up` leaves it, with a few files. */
  function stateDir(name = 'state'): string {
    const paths = statePaths(path.join(tmp, name));
    ensureStateDirs(paths, none);
    writeFileSync(
      paths.stateFile,
      '{"version":1,"ports":{},"topology":"","supervisor":null,"components":{},"readyAt":null}\n',
    );
    writeFileSync(path.join(paths.pki, 'ca.key'), 'key');
    writeFileSync(path.join(paths.logs, 'store.log'), 'log');
    return paths.root;
  }

  it('removes a state dir that cnpaas up marked', () => {
    const dir = stateDir();
    expect(readFileSync(path.join(dir, STATE_DIR_MARKER), 'utf8')).toMatch(/^cnpaas-state-dir 1\n/);
    purgeStateDir(dir, say, none);
    expect(existsSync(dir)).toBe(false);
    expect(said).toEqual([expect.stringContaining('✓ removed')]);
  });

  it('refuses a dir without the marker and deletes nothing, even with state.json and pki/', async () => {
    // What the purge used to accept as "ours": /etc has a pki/ on many systems.
    const dir = path.join(tmp, 'looks-like-state');
    mkdirSync(path.join(dir, 'pki'), { recursive: true });
    writeFileSync(
      path.join(dir, 'state.json'),
      '{"version":1,"ports":{},"topology":"","supervisor":null,"components":{},"readyAt":null}\n',
    );
    writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
    await expect(down({ stateDir: dir, purge: true, say })).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_STATE',
      message: expect.stringContaining(`not a cnpaas state directory, not removing it: it has no ${STATE_DIR_MARKER}`),
      hint: expect.stringContaining('--state-dir'),
    });
    expect(readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
    expect(existsSync(path.join(dir, 'pki'))).toBe(true);
  });

  it('refuses a marker of an unknown format, or one that is a symlink', () => {
    const dir = stateDir();
    writeFileSync(path.join(dir, STATE_DIR_MARKER), 'cnpaas-state-dir 99\n');
    expect(() => purgeStateDir(dir, say, none)).toThrow('starts with "cnpaas-state-dir 99"');
    const other = stateDir('other');
    rmSync(path.join(dir, STATE_DIR_MARKER));
    symlinkSync(path.join(other, STATE_DIR_MARKER), path.join(dir, STATE_DIR_MARKER));
    expect(() => purgeStateDir(dir, say, none)).toThrow(`its ${STATE_DIR_MARKER} is not a regular file`);
    expect(existsSync(path.join(dir, 'pki', 'ca.key'))).toBe(true);
  });

  it('refuses the home directory and any directory above it, marker or not', () => {
    const home = stateDir('my-home');
    const protect = { home, system: [] };
    expect(() => purgeStateDir(home, say, protect)).toThrow(
      `${home} cannot be a cnpaas state directory: it is your home directory`,
    );
    writeFileSync(path.join(tmp, STATE_DIR_MARKER), 'cnpaas-state-dir 1\n');
    expect(() => purgeStateDir(tmp, say, protect)).toThrow(`it contains your home directory ${home}`);
    expect(existsSync(path.join(home, 'pki', 'ca.key'))).toBe(true);
  });

  it('refuses the filesystem root and the system directories, however they are spelled', async () => {
    expect(protectedDirProblem('/', none)).toBe('it is the filesystem root');
    await expect(down({ stateDir: '/', purge: true, say })).rejects.toThrow(
      '/ cannot be a cnpaas state directory: it is the filesystem root',
    );
    // The real list, as path checks only (nothing is written there).
    expect(protectedDirProblem('/etc')).toBe('it is the system directory /etc');
    expect(protectedDirProblem('/usr/')).toBe('it is the system directory /usr');
    expect(protectedDirProblem('/var/lib/cnpaas')).toBeNull();
    // A symlink to a system directory is judged by where it points.
    const system = stateDir('system');
    const alias = path.join(tmp, 'alias');
    symlinkSync(system, alias);
    expect(() => purgeStateDir(alias, say, { home: none.home, system: [system] })).toThrow(
      `it is the system directory ${system}`,
    );
    expect(existsSync(path.join(system, 'pki', 'ca.key'))).toBe(true);
  });

  it('removes symlinks inside the state dir, never what they point to', () => {
    const dir = stateDir();
    const outside = path.join(tmp, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'file.txt'), 'not cnpaas');
    symlinkSync(outside, path.join(dir, 'data', 'escape'));
    symlinkSync(path.join(outside, 'file.txt'), path.join(dir, 'logs', 'file-link'));
    purgeStateDir(dir, say, none);
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(path.join(outside, 'file.txt'), 'utf8')).toBe('not cnpaas');
  });

  it('resolves a state dir that is a symlink: removes the marked directory it points to, then the link', () => {
    const real = stateDir('real');
    const link = path.join(tmp, 'link');
    symlinkSync(real, link);
    purgeStateDir(link, say, none);
    expect(existsSync(real)).toBe(false);
    expect(existsSync(link)).toBe(false);
  });

  it('does nothing for a state dir that does not exist', () => {
    expect(() => purgeStateDir(path.join(tmp, 'never'), say, none)).not.toThrow();
  });
});

describe('cnpaas up marks its state dir', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'cnp-claim-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const protect = () => ({ home: path.join(tmp, 'home'), system: [] });

  it('takes on a new or empty dir, and one an earlier cnpaas left without a marker', () => {
    const fresh = statePaths(path.join(tmp, 'new'));
    ensureStateDirs(fresh, protect());
    expect(existsSync(fresh.marker)).toBe(true);
    const earlier = statePaths(path.join(tmp, 'earlier'));
    mkdirSync(earlier.root);
    writeFileSync(earlier.stateFile, '{}');
    ensureStateDirs(earlier, protect());
    expect(existsSync(earlier.marker)).toBe(true);
    ensureStateDirs(earlier, protect()); // and again: the marker is already there
  });

  it('refuses a non-empty directory that is not a state dir, and writes nothing into it', () => {
    const paths = statePaths(path.join(tmp, 'project'));
    mkdirSync(paths.root);
    writeFileSync(path.join(paths.root, 'notes.txt'), 'mine');
    expect(() => ensureStateDirs(paths, protect())).toThrow(
      expect.objectContaining({
        code: 'CNPAAS_PLATFORM_STATE',
        message: expect.stringContaining(`${paths.root} is not a cnpaas state directory`),
        hint: expect.stringContaining('new or empty directory'),
      }),
    );
    expect(existsSync(paths.marker)).toBe(false);
    expect(existsSync(paths.pki)).toBe(false);
  });

  it('refuses the home directory even when it is empty', () => {
    const home = path.join(tmp, 'home');
    mkdirSync(home);
    expect(() => ensureStateDirs(statePaths(home), protect())).toThrow('it is your home directory');
    expect(existsSync(path.join(home, STATE_DIR_MARKER))).toBe(false);
  });
});
