/**
 * `npx nx run platform:bench` (without `--scale`): the same kube-apiserver on cnpaas-store and on
 * a real etcd, with the same workload through the API (create, LIST, update,
 * delete of ConfigMaps), phase by phase on one stack then the other, and one
 * table comparing them. See report.ts (INTRO) for what exactly runs.
 */
import { formatMarkdownFile } from '../../../scripts/lib/format-markdown.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchFlags, positiveInteger } from './args.js';
import { KubeClient } from '@cnpaas/kube';
import { apiserverStorage, datastoreCounters } from './metrics.js';
import { newestProfile, summarise, type ProfileSummary } from './profile.js';
import { appendSection, cpuCells, storageCells, notes, profileCells, resultCells, type RunResult } from './report.js';
import { loadAverage, markdownTable, textTable } from '@cnpaas/storage-shim/bench-report';
import { olderEtcdHint } from '@cnpaas/storage-shim/testing';
import { benchSubjects, startStack, type BenchStack, type DatastoreKind } from './stack.js';
import {
  PHASES,
  prepare,
  runPhase,
  type PhaseId,
  type PhaseResult,
  type Probe,
  type WorkloadOptions,
} from './workload.js';

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

const flags = benchFlags(
  {
    count: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
    'profile-store': { type: 'boolean', default: false },
  },
  USAGE,
);
const count = positiveInteger('count', flags.count, USAGE);
const concurrency = positiveInteger('concurrency', flags.concurrency, USAGE);

const log = (line: string) => process.stderr.write(`${line}\n`);
/** The whole run's bound: two stacks started, five phases each, stopped. */
const RUN_TIMEOUT_MS = 15 * 60_000;

/** Started stacks, stopped in reverse on exit, error, signal or timeout. */
const started: BenchStack[] = [];
async function stopAll(): Promise<void> {
  while (started.length > 0) {
    const stack = started.pop()!;
    log(`stopping the ${stack.kind} stack…`);
    await stack.stop().catch((err: unknown) => log(`stopping the ${stack.kind} stack: ${(err as Error).message}`));
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping…`);
    void stopAll().then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const { info, kubeVersion, apiserver, etcdBinary, etcdVer } = await benchSubjects(flags.etcd, log);
  log(`✓ etcd ${etcdVer} from ${etcdBinary}${flags.etcd ? '' : ' (default)'}`);
  const older = olderEtcdHint(etcdVer);
  if (older) log(`note: ${older}`);
  const profileDir = flags['profile-store'] ? mkdtempSync(path.join(tmpdir(), 'cnpaas-store-prof-')) : undefined;

  const workload: WorkloadOptions = { count, concurrency, listRuns: 5, pagedRuns: 3, phaseMaxMs: 150_000, log };
  interface Side {
    kind: DatastoreKind;
    stack: BenchStack;
    http: KubeClient;
    probe: Probe;
    phases: PhaseResult[];
    loadBefore: string;
  }
  const sides: Side[] = [];
  try {
    // Both stacks start first and stay up; then each phase runs on one and right after on the
    // other (alternating which goes first), so a row's two figures are taken seconds apart on
    // this shared machine, not minutes. Only one stack is ever under load.
    for (const kind of ['store', 'etcd'] as const) {
      const loadBefore = loadAverage();
      log(
        `${kind}: starting ${kind === 'store' ? 'cnpaas-store' : `etcd ${etcdVer}`} and kube-apiserver v${kubeVersion} (load ${loadBefore})…`,
      );
      const stack = await startStack({
        kind,
        apiserverBinary: apiserver,
        etcdBinary,
        etcdVersion: etcdVer,
        log,
        ...(kind === 'store' && profileDir ? { storeProfileDir: profileDir } : {}),
      });
      started.push(stack);
      // A LIST of the whole collection may take long under load. The shared agent opens a socket per
      // concurrent request, so each worker keeps its own keep-alive connection.
      const http = KubeClient.fromFiles(
        {
          server: stack.server,
          caFile: stack.pki.ca.files.cert,
          client: { certFile: stack.pki.admin.cert, keyFile: stack.pki.admin.key },
        },
        { requestTimeoutMs: 30_000 },
      );
      const probe: Probe = {
        pids: () => stack.pids(),
        counters: async () => ({
          storage: await apiserverStorage(http),
          datastore: await datastoreCounters(stack.datastoreMetricsUrl),
        }),
      };
      sides.push({ kind, stack, http, probe, phases: [], loadBefore });
    }
    for (const side of sides) {
      log(`${side.kind}: warming up (namespace, each verb once per connection)…`);
      await prepare(side.http, workload);
    }
    for (const [i, id] of PHASES.entries()) {
      for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
        side.phases.push(await runPhase(id, side.kind, side.http, workload, side.probe, side.phases));
      }
    }
  } finally {
    for (const side of sides) side.http.close();
    await stopAll();
  }
  const runs = new Map<DatastoreKind, RunResult>(
    sides.map((s) => [s.kind, { phases: s.phases, loadBefore: s.loadBefore }]),
  );
  const store = runs.get('store')!;
  const etcd = runs.get('etcd')!;
  let profiles: Map<PhaseId, ProfileSummary> | undefined;
  if (profileDir) {
    const file = newestProfile(profileDir);
    if (!file) log(`no .cpuprofile in ${profileDir}: the store did not exit cleanly`);
    else {
      profiles = new Map();
      for (const phase of store.phases) profiles.set(phase.id, summarise(file, phase.windowUs));
      log(`store CPU profile: ${file}`);
    }
  }

  const shape = { count, concurrency, listRuns: workload.listRuns, pagedRuns: workload.pagedRuns };
  const results = resultCells(store, etcd, shape);
  const cpu = cpuCells(store, etcd);
  const storage = storageCells(store, etcd);
  const prof = profiles && profileCells(profiles);
  const rowNotes = notes(store, etcd);
  const about = [
    `machine: ${info.cpu}, ${info.cores} cores, ${info.kernel}; temp dirs on ${info.filesystem}`,
    `Node ${info.node}; kube-apiserver v${kubeVersion} (${apiserver}) with --watch-cache=false; etcd ${etcdVer} (${etcdBinary}), default durability (fsync on)`,
    'store durability: durable (no --unsafe-no-fsync), unix socket, demo topology, as `cnpaas up` runs it',
    `workload: ${count} ConfigMaps with ~1 KiB of data each in one namespace; writes at concurrency ${concurrency}; both stacks up, each phase on one then the other (store first in create, LIST limit=500 and delete; etcd first in LIST all and update)`,
    `load average at start: ${store.loadBefore} (the machine is shared with other people's test runs: see "other processes" below)`,
    `commit ${info.commit}`,
  ];

  console.log('');
  console.log(textTable(results));
  console.log('');
  console.log(textTable(cpu));
  console.log('');
  console.log(textTable(storage));
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
      "Storage calls as kube-apiserver saw them (`etcd_request_duration_seconds` by operation: calls per API request and mean ms per call), and the datastore's fsyncs per API request:",
      '',
      markdownTable(storage),
      '',
      ...(prof
        ? [
            "Store CPU profile (`--profile-store`: `node --cpu-prof`, self time per phase, share of the store process's wall time):",
            '',
            markdownTable(prof.categories),
            '',
            markdownTable(prof.functions),
            '',
          ]
        : []),
      ...rowNotes.map((l) => `- ${l}`),
      ...(rowNotes.length ? [''] : []),
    ].join('\n');
    appendSection(flags.out, `${section}\n`);
    await formatMarkdownFile(flags.out);
    log(`appended to ${flags.out}`);
  }
}

const watchdog = setTimeout(() => {
  log(`the benchmark did not finish within ${RUN_TIMEOUT_MS / 60_000} min: stopping`);
  void stopAll().then(() => process.exit(1));
}, RUN_TIMEOUT_MS);
main().then(
  () => clearTimeout(watchdog),
  async (err: unknown) => {
    clearTimeout(watchdog);
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    await stopAll();
    process.exitCode = 1;
  },
);
