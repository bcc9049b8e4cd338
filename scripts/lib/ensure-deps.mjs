// Shared by `npm test` (check-prereqs.mjs) and `npm run demo` (demo.mjs): install the npm
// dependencies when node_modules is missing or older than package-lock.json, so each
// command works alone on a fresh clone.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The environment for npm: better-sqlite3 compiles against the system's Node headers, offline. */
export function npmEnv(env = process.env) {
  const out = { ...env };
  if (existsSync('/usr/include/node/common.gypi')) out.npm_config_nodedir ??= '/usr';
  return out;
}

export function ensureDependencies() {
  const lock = `${repoRoot}package-lock.json`;
  const marker = `${repoRoot}node_modules/.package-lock.json`;
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return true;
  console.error('installing npm dependencies (npm ci)…');
  return spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repoRoot, env: npmEnv(), stdio: 'inherit' }).status === 0;
}
