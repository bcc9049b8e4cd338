#!/usr/bin/env node
// `npm run demo`: everything from a fresh clone to the live registration demo.
//   1. npm ci (when node_modules is missing or older than package-lock.json);
//   2. the pinned kube binaries (scripts/k8s/build.sh: cached, else built from Go modules);
//   3. nx run e2e, which builds the packages and runs the demo on a live stack in .cnpaas/.
// `npm run demo -- --keep` leaves the stack running for exploring (cnpaas status, kubectl).
// `npm run demo -- --topology examples/topologies/mixed.yaml` runs it with tenants in PostgreSQL and users in MariaDB.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureDependencies, npmEnv, repoRoot as root } from './lib/ensure-deps.mjs';

const USAGE = 'usage: npm run demo [-- [--keep] [--topology FILE]]';
const args = process.argv.slice(2);
let topology;
const unknown = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--keep') continue;
  if (args[i] === '--topology' || args[i].startsWith('--topology=')) {
    topology = args[i].includes('=') ? args[i].slice('--topology='.length) : args[++i];
    if (!topology) {
      console.error(`npm run demo: --topology needs a file, e.g. examples/topologies/mixed.yaml\n  ${USAGE}`);
      process.exit(2);
    }
    continue;
  }
  unknown.push(args[i]);
}
if (unknown.length > 0) {
  console.error(`npm run demo: unknown argument ${unknown.join(' ')}\n  ${USAGE}`);
  process.exit(2);
}
if (topology && !existsSync(resolve(process.env.INIT_CWD ?? process.cwd(), topology))) {
  console.error(
    `npm run demo: --topology ${topology} does not exist (paths are relative to ${process.env.INIT_CWD ?? process.cwd()})`,
  );
  process.exit(2);
}

const env = npmEnv();
if (args.includes('--keep')) env.CNPAAS_E2E_KEEP = '1';
// The stack runs on this topology; the databases it names are started when not running (e2e/support/local-databases.ts).
if (topology) env.CNPAAS_E2E_TOPOLOGY = resolve(process.env.INIT_CWD ?? process.cwd(), topology);

function run(title, command, commandArgs) {
  console.log(`\n==> ${title}`);
  const started = Date.now();
  const res = spawnSync(command, commandArgs, { cwd: root, env, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(
      `\nnpm run demo: "${[command, ...commandArgs].join(' ')}" failed (${res.error?.message ?? `exit ${res.status}`})`,
    );
    process.exit(res.status ?? 1);
  }
  console.log(`    (${Math.round((Date.now() - started) / 1000)} s)`);
}

console.log('\n==> npm dependencies');
if (!ensureDependencies()) process.exit(1);
const version = readFileSync(`${root}scripts/k8s/VERSION`, 'utf8').trim();
run(
  `kube-apiserver, kube-controller-manager, kubectl v${version} (cached, else built from Go modules: ~8 min the first time)`,
  'bash',
  ['scripts/k8s/build.sh'],
);
run('the registration demo (nx run e2e)', 'npx', ['nx', 'run', 'e2e', '--output-style=stream']);

if (args.includes('--keep')) {
  // The last thing on the screen: where to look next. cnpaas console reads the kept stack's state.json.
  const found = spawnSync(process.execPath, ['packages/platform/bin/cnpaas.js', 'console'], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  console.log('\n==> the stack keeps running');
  if (found.status === 0) console.log(`    web console: ${found.stdout.trim()}`);
  else console.log(`    no web console: ${found.stderr.trim()}`);
  console.log('    npx cnpaas console   # the address again (--open: in a browser)');
  console.log('    npx cnpaas status    # components, topology, keys per backend');
  console.log('    npx cnpaas down      # when done (--purge also removes .cnpaas/)');
}
