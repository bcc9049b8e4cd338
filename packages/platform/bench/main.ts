/**
 * `npx nx run platform:bench`: the same kube-apiserver on cnpaas-store and on
 * a real etcd, one after the other, with the same workload through the API
 * (create, LIST, update, delete of ConfigMaps), and one table comparing them.
 * See report.ts (INTRO) for what exactly runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveAll } from '../src/stack-plan.js';
import { BenchHttp } from './http.js';
import { newestProfile, summarise, type ProfileSummary } from './profile.js';
import {
  appendSection, cpuCells, loadAverage, machine, markdownTable, notes, profileCells, resultCells, textTable, type RunResult,
} from './report.js';
import { defaultEtcd, etcdVersion, startStack, type BenchStack, type DatastoreKind } from './stack.js';
import { prepare, runWorkload, type PhaseId, type WorkloadOptions } from './workload.js';

const USAGE = `usage: npx nx run platform:bench [-- OPTIONS]

  --count N         ConfigMaps to create, update and delete (default 5000)
  --concurrency N   requests in flight during writes (default 32)
  --etcd PATH       etcd binary (default: \${CNPAAS_CACHE_DIR:-~/.cache/cnpaas}/bin/etcd
                    if it exists, else /usr/bin/etcd)
  --profile-store   CPU-profile the store (node --cpu-prof) and summarise its self
                    time per write phase; the .cpuprofile file is kept
  --write           append a dated section to docs/benchmarks.md (or --out FILE)
  --help
`;

const { values: flags } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
    etcd: { type: 'string' },
    'profile-store': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    out: { type: 'string', default: path.resolve(import.meta.dirname, '../../../docs/benchmarks.md') },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const positive = (name: string, v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1) {
    process.stderr.write(`--${name} must be a positive integer, got ${v}\n${USAGE}`);
    process.exit(2);
  }
  return x;
};
const count = positive('count', flags.count);
const concurrency = positive('concurrency', flags.concurrency);

const log = (line: string) => process.stderr.write(`${line}\n`);
/** The whole run's bound: two stacks started, five phases each, stopped. */
const RUN_TIMEOUT_MS = 15 * 60_000;

let current: BenchStack | undefined;
async function stopCurrent(): Promise<void> {
  const stack = current;
  current = undefined;
  if (stack) await stack.stop().catch((err: unknown) => log(`stopping the ${stack.kind} stack: ${(err as Error).message}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping…`);
    void stopCurrent().then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const info = machine();
  log(`machine: ${info.cpu}, ${info.cores} cores, ${info.kernel}, Node ${info.node}, load ${info.load}`);
  const { version: kubeVersion, found } = await resolveAll(['kube-apiserver'], process.env, log);
  const etcdBinary = flags.etcd ?? defaultEtcd();
  const etcdVer = etcdVersion(etcdBinary);
  log(`✓ etcd ${etcdVer} from ${etcdBinary}${flags.etcd ? '' : ' (default)'}${/^3\.4\./.test(etcdVer) ? ' (DESIGN.md wants a 3.6 build for this benchmark: put one at ~/.cache/cnpaas/bin/etcd or pass --etcd)' : ''}`);
  const profileDir = flags['profile-store'] ? mkdtempSync(path.join(tmpdir(), 'cnpaas-store-prof-')) : undefined;

  const workload: WorkloadOptions = { count, concurrency, listRuns: 5, pagedRuns: 3, phaseMaxMs: 150_000, log };
  const runs = new Map<DatastoreKind, RunResult>();
  for (const kind of ['store', 'etcd'] as const) {
    const loadBefore = loadAverage();
    log(`\n${kind}: starting ${kind === 'store' ? 'cnpaas-store' : `etcd ${etcdVer}`} and kube-apiserver v${kubeVersion} (load ${loadBefore})…`);
    const stack = await startStack({
      kind, apiserverBinary: found['kube-apiserver'].path, etcdBinary, etcdVersion: etcdVer, log,
      ...(kind === 'store' && profileDir ? { storeProfileDir: profileDir } : {}),
    });
    current = stack;
    const http = new BenchHttp(stack.server, stack.pki, concurrency);
    try {
      log('  warming up (namespace, one of each verb per connection)…');
      await prepare(http, workload);
      const phases = await runWorkload(http, workload, () => stack.pids());
      runs.set(kind, { phases, loadBefore });
    } finally {
      http.close();
      log(`  stopping ${kind}…`);
      await stopCurrent();
    }
  }
  const store = runs.get('store')!;
  const etcd = runs.get('etcd')!;

  let profiles: Map<PhaseId, ProfileSummary> | undefined;
  if (profileDir) {
    const file = newestProfile(profileDir);
    if (!file) log(`no .cpuprofile in ${profileDir}: the store did not exit cleanly`);
    else {
      profiles = new Map();
      for (const phase of store.phases) if (!phase.id.startsWith('list')) profiles.set(phase.id, summarise(file, phase.windowUs));
      log(`store CPU profile: ${file}`);
    }
  }

  const shape = { count, concurrency, listRuns: workload.listRuns, pagedRuns: workload.pagedRuns };
  const results = resultCells(store, etcd, shape);
  const cpu = cpuCells(store, etcd);
  const prof = profiles && profileCells(profiles);
  const rowNotes = notes(store, etcd);
  const about = [
    `machine: ${info.cpu}, ${info.cores} cores, ${info.kernel}; temp dirs on ${info.filesystem}`,
    `Node ${info.node}; kube-apiserver v${kubeVersion} (${found['kube-apiserver'].path}) with --watch-cache=false; etcd ${etcdVer} (${etcdBinary}), default durability (fsync on)`,
    'store durability: durable (no --unsafe-no-fsync), unix socket, demo topology, as `cnpaas up` runs it',
    `workload: ${count} ConfigMaps with ~1 KiB of data each in one namespace; writes at concurrency ${concurrency}; the store ran first, then etcd`,
    `load average before the store run: ${store.loadBefore}; before the etcd run: ${etcd.loadBefore} (the machine is shared with other test runs)`,
    `commit ${info.commit}`,
  ];

  console.log('');
  console.log(textTable(results));
  console.log('');
  console.log(textTable(cpu));
  if (prof) {
    console.log('');
    console.log(textTable(prof.categories));
    console.log('');
    console.log(textTable(prof.functions));
  }
  console.log('');
  for (const line of about) console.log(line);
  for (const line of rowNotes) console.log(`note: ${line}`);

  if (flags.write) {
    const section = [
      `### ${info.date}`,
      '',
      ...about.map((l) => `- ${l}`),
      '',
      markdownTable(results),
      '',
      'CPU use per phase (average cores; 2 = the whole machine):',
      '',
      markdownTable(cpu),
      '',
      ...(prof
        ? ['Store CPU profile (`--profile-store`: `node --cpu-prof`, self time per phase, share of the store process\'s wall time):', '', markdownTable(prof.categories), '', markdownTable(prof.functions), '']
        : []),
      ...rowNotes.map((l) => `- ${l}`),
      ...(rowNotes.length ? [''] : []),
    ].join('\n');
    appendSection(flags.out, `${section}\n`);
    log(`appended to ${flags.out}`);
  }
}

const watchdog = setTimeout(() => {
  log(`the benchmark did not finish within ${RUN_TIMEOUT_MS / 60_000} min: stopping`);
  void stopCurrent().then(() => process.exit(1));
}, RUN_TIMEOUT_MS);
main().then(
  () => clearTimeout(watchdog),
  async (err: unknown) => {
    clearTimeout(watchdog);
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    await stopCurrent();
    process.exitCode = 1;
  },
);
