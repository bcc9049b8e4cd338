#!/usr/bin/env node
// `npm run demo`: everything from a fresh clone to the live registration demo.
//   1. npm ci (when node_modules is missing or older than package-lock.json);
//   2. the pinned kube binaries (scripts/k8s/build.sh: cached, else built from Go modules);
//   3. nx run e2e, which builds the packages and runs the demo on a live stack in .cnpaas/.
// `npm run demo -- --keep` leaves the stack running for exploring (cnpaas status, kubectl).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--keep');
if (unknown.length > 0) {
  console.error(`npm run demo: unknown argument ${unknown.join(' ')}\n  usage: npm run demo [-- --keep]`);
  process.exit(2);
}

const env = { ...process.env };
// better-sqlite3 compiles from source; the system's Node headers keep that offline.
if (existsSync('/usr/include/node/common.gypi')) env.npm_config_nodedir ??= '/usr';
if (args.includes('--keep')) env.CNPAAS_E2E_KEEP = '1';

function run(title, command, commandArgs) {
  console.log(`\n==> ${title}`);
  const started = Date.now();
  const res = spawnSync(command, commandArgs, { cwd: root, env, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(`\nnpm run demo: "${[command, ...commandArgs].join(' ')}" failed (${res.error?.message ?? `exit ${res.status}`})`);
    process.exit(res.status ?? 1);
  }
  console.log(`    (${Math.round((Date.now() - started) / 1000)} s)`);
}

const lock = `${root}package-lock.json`;
const marker = `${root}node_modules/.package-lock.json`;
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  run('installing dependencies (npm ci)', 'npm', ['ci', '--no-audit', '--no-fund']);
}
run('kube-apiserver, kube-controller-manager, kubectl v' + spawnSync('cat', ['scripts/k8s/VERSION'], { cwd: root, encoding: 'utf8' }).stdout.trim()
  + ' (cached, else built from Go modules: ~8 min the first time)', 'bash', ['scripts/k8s/build.sh']);
run('the registration demo (nx run e2e)', 'npx', ['nx', 'run', 'e2e', '--output-style=stream']);
