#!/usr/bin/env node
// Checks what `npm test` needs beyond npm packages, before any suite starts.
// On Debian as root it installs what is missing; elsewhere it says exactly what
// to install and stops, rather than letting a suite fail half-way.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { bin: 'etcd', pkg: 'etcd-server', why: 'the real etcd the store is checked against' },
  { bin: 'etcdctl', pkg: 'etcd-client', why: 'the etcdctl black-box suite' },
  { bin: 'openssl', pkg: 'openssl', why: 'certificates for the TLS tests' },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
let missing = needs.filter((n) => !has(n.bin));
if (missing.length === 0) process.exit(0);

const debian = existsSync('/etc/debian_version') && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
const root = process.getuid?.() === 0;
if (debian && root) {
  const pkgs = missing.map((n) => n.pkg);
  console.error(`installing ${pkgs.join(', ')} (needed by the tests)…`);
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const install = update.status === 0 && spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit' });
  missing = needs.filter((n) => !has(n.bin));
  if (install && install.status === 0 && missing.length === 0) process.exit(0);
}

console.error('npm test needs these programs, which are not on PATH:');
for (const n of missing) console.error(`  ${n.bin.padEnd(8)} ${n.why}`);
console.error(debian
  ? `install them with: sudo apt-get install ${missing.map((n) => n.pkg).join(' ')}`
  : `install them from your OS packages (etcd 3.4 or newer provides etcd and etcdctl), then run npm test again`);
process.exit(1);
