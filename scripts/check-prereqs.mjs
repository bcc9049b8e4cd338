#!/usr/bin/env node
// Checks what `npm test` needs beyond npm packages, before any suite starts.
// On Debian as root it installs what is missing; elsewhere it says exactly what
// to install and stops, rather than letting a suite fail half-way.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureDependencies } from './lib/ensure-deps.mjs';

if (!ensureDependencies()) process.exit(1);

const needs = [
  { bin: 'etcd', pkg: 'etcd-server', why: 'the real etcd the store is checked against' },
  { bin: 'etcdctl', pkg: 'etcd-client', why: 'the etcdctl black-box suite' },
  { bin: 'openssl', pkg: 'openssl', why: 'certificates for the TLS tests' },
  { bin: 'chromium', pkg: 'chromium', why: "the web console's browser test (Playwright drives Debian's Chromium)" },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

// The control-plane suites need kube-apiserver, kube-controller-manager and kubectl at
// the pinned version. Build them now (with progress) rather than inside a suite's setup.
function ensureKubeBinaries() {
  const kubeNames = ['kube-apiserver', 'kube-controller-manager', 'kubectl'];
  const fromEnv = (name) =>
    process.env[`TEST_ASSET_${name.toUpperCase().replaceAll('-', '_')}`] ??
    (process.env.KUBEBUILDER_ASSETS && `${process.env.KUBEBUILDER_ASSETS}/${name}`);
  if (
    kubeNames.every((name) => {
      const f = fromEnv(name);
      return f && existsSync(f);
    })
  )
    return true;
  if (!has('go')) {
    const dir = spawnSync('bash', ['scripts/k8s/build.sh', '--print-dir'], { encoding: 'utf8' });
    if (dir.status === 0 && kubeNames.every((name) => existsSync(`${dir.stdout.trim()}/${name}`))) return true;
    console.error(
      'npm test needs kube-apiserver, kube-controller-manager and kubectl at the version in scripts/k8s/VERSION.',
    );
    console.error('  install Go >= 1.24 (https://go.dev/dl/) so scripts/k8s/build.sh builds them from Go modules,');
    console.error('  or point KUBEBUILDER_ASSETS (or TEST_ASSET_KUBE_APISERVER etc.) at a directory holding them');
    return false;
  }
  // build.sh skips binaries already cached at the pinned version.
  return spawnSync('bash', ['scripts/k8s/build.sh'], { stdio: 'inherit' }).status === 0;
}

let missing = needs.filter((n) => !has(n.bin));
if (missing.length === 0) process.exit(ensureKubeBinaries() ? 0 : 1);

const debian =
  existsSync('/etc/debian_version') && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
const root = process.getuid?.() === 0;
if (debian && root) {
  const pkgs = missing.map((n) => n.pkg);
  console.error(`installing ${pkgs.join(', ')} (needed by the tests)…`);
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const install =
    update.status === 0 &&
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit' });
  missing = needs.filter((n) => !has(n.bin));
  if (install && install.status === 0 && missing.length === 0) process.exit(ensureKubeBinaries() ? 0 : 1);
}

console.error('npm test needs these programs, which are not on PATH:');
for (const n of missing) console.error(`  ${n.bin.padEnd(8)} ${n.why}`);
console.error(
  debian
    ? `install them with: sudo apt-get install ${missing.map((n) => n.pkg).join(' ')}`
    : `install them from your OS packages (etcd 3.4 or newer provides etcd and etcdctl), then run npm test again`,
);
process.exit(1);
