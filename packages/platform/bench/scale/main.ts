/**
 * `npx nx run platform:bench -- --scale`: how far kube-apiserver goes on
 * cnpaas-store and on etcd as custom resources pile up. Six CRD kinds, each
 * routed to its own backend in the store; virtual users create one object of
 * each kind per iteration and read each back by label selector, until the
 * target count, the time limit, or the stack runs out. One datastore at a
 * time (the other is not running, so neither pays for the other's memory),
 * then a side-by-side table with the public benchmark's score formula.
 * Long by design: not part of CI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from '@cnpaas/kube';
import { formatMarkdownFile } from '../../../../scripts/lib/format-markdown.js';
import { benchFlags, positiveInteger } from '../args.js';
import { appendSection } from '../report.js';
import { loadAverage, markdownTable, textTable } from '@cnpaas/storage-shim/bench-report';
import { resolveAll } from '../../src/stack-plan.js';
import { benchSubjects, startStack, type BenchStack, type DatastoreKind } from '../stack.js';
import { crd, GROUP, KINDS, NAMESPACE, collectionPath, object, writeTopology } from './kinds.js';
import { heapProfiler } from './heap-profiles.js';
import { diskBytes, mib, rssBytes, type ResourceSample } from './resources.js';
import { mergeSorted, score } from './score.js';
import { percentile } from '../workload.js';
import { runScaleLoad, type ScaleLoadResult } from './workload.js';

const USAGE = `usage: npx nx run platform:bench -- --scale [OPTIONS]

  --objects N        custom resources to create in all, over 6 kinds (default 1000000)
  --duration S       stop after S seconds per datastore if the objects are not all made (default 3600)
  --concurrency N    virtual users (default 10)
  --datastores LIST  store,etcd (default), or one of them
  --watch-cache on|off  kube-apiserver's watch cache (default on, as in a default cluster)
  --pushdown         the store's side runs kube-apiserver-pushdown (scripts/k8s/build.sh --pushdown),
                     which sends each selector to the store, with its watch cache off and JSON values
  --heap-profiles DIR  kube-apiserver's Go heap (/debug/pprof/heap) into DIR before the load, at each
                     tenth of --objects and at the end; compare two with go tool pprof -diff_base
  --apiserver-arg ARG  one more kube-apiserver flag on both sides (repeatable), e.g.
                     --apiserver-arg=--feature-gates=SizeBasedListCostEstimate=false
  --etcd PATH        etcd binary (default: \${CNPAAS_CACHE_DIR:-~/.cache/cnpaas}/bin/etcd if built, else /usr/bin/etcd)
  --write            append a dated section to docs/benchmarks.md (or --out FILE)
  --help
`;

const flags = benchFlags(
  {
    scale: { type: 'boolean', default: true },
    objects: { type: 'string', default: '1000000' },
    duration: { type: 'string', default: '3600' },
    concurrency: { type: 'string', default: '10' },
    datastores: { type: 'string', default: 'store,etcd' },
    'watch-cache': { type: 'string', default: 'on' },
    pushdown: { type: 'boolean', default: false },
    'heap-profiles': { type: 'string' },
    'apiserver-arg': { type: 'string', multiple: true },
  },
  USAGE,
);
function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}
const objects = positiveInteger('objects', flags.objects, USAGE);
const durationMs = positiveInteger('duration', flags.duration, USAGE) * 1000;
const concurrency = positiveInteger('concurrency', flags.concurrency, USAGE);
const datastores = flags.datastores.split(',').map((s) => s.trim());
for (const d of datastores)
  if (d !== 'store' && d !== 'etcd') usageError(`--datastores takes store, etcd or both (comma-separated), got ${d}`);
if (flags['watch-cache'] !== 'on' && flags['watch-cache'] !== 'off')
  usageError(`--watch-cache takes on or off, got ${flags['watch-cache']}`);
const watchCache = flags['watch-cache'] === 'on';
const pushdown = flags.pushdown;
const heapProfiles = flags['heap-profiles'] ? path.resolve(flags['heap-profiles']) : undefined;
const apiserverArgs = flags['apiserver-arg'] ?? [];
for (const a of apiserverArgs)
  if (!a.startsWith('--')) usageError(`--apiserver-arg takes a kube-apiserver flag such as --v=2, got ${a}`);
/** How kube-apiserver runs on one side, for the progress line and the report. */
const apiserverMode = (kind: DatastoreKind) =>
  (pushdown && kind === 'store'
    ? 'kube-apiserver-pushdown (selectors evaluated in the store), watch cache off'
    : `kube-apiserver, unmodified, watch cache ${watchCache ? 'on' : 'off'}`) +
  (apiserverArgs.length > 0 ? `, with ${apiserverArgs.map((a) => `\`${a}\``).join(' ')}` : '');

const log = (line: string) => process.stderr.write(`${line}\n`);

const SCALE_HEADING = '## Scale: custom resources by the hundred thousand';
const SCALE_INTRO = `${SCALE_HEADING}

Appended by \`npx nx run platform:bench -- --scale --write\` (\`packages/platform/bench/scale/\`),
not run in CI. The shape follows the public "six kinds" benchmark of routed
Kubernetes storage: six CRD kinds (the store gives each its own SQLite
backend), virtual users that each loop over one iteration (create one object
of every kind under one name, labelled \`name=<name>\`, then read every kind
back with \`?labelSelector=name=<name>\` and check that exactly that object
came back; each request is a check), until the target count, the time
limit, or the stack runs out. Apart from that shape (not in its checks or
score), each ten iterations share a \`batch=<n>\` label, and once all ten
are done every kind is read by it and must answer exactly those ten: the
"read of ten" rows, a LIST of ten objects out of the kind's whole. One
datastore at a time, each with an unmodified kube-apiserver with its watch
cache on, as a default cluster runs it. Resident memory of kube-apiserver
and of the datastore, and the datastore's disk use, are sampled every 5 s.
The score is the public benchmark's formula, \`floor(checks / (med×0.2 +
p90×0.3 + p95×0.5) × (1 − failed/checks)^7)\` over all requests' latencies
in ms, so a run compares with theirs only on the same machine and duration.
`;

interface SideResult {
  kind: DatastoreKind;
  load: ScaleLoadResult;
  samples: ResourceSample[];
  loadBefore: string;
}

async function expectStatus(
  http: KubeClient,
  what: string,
  request: () => ReturnType<KubeClient['raw']>,
  ok: number[],
): Promise<void> {
  const res = await request();
  if (!ok.includes(res.status))
    throw new Error(`${what}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
}

/** The namespace and the six CRDs, then one create per kind once they serve (discovery takes a moment). */
async function prepare(http: KubeClient): Promise<void> {
  await expectStatus(
    http,
    'creating the namespace',
    () =>
      http.raw('POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
      }),
    [201],
  );
  for (const k of KINDS) {
    await expectStatus(
      http,
      `creating the CRD for ${k.plural}`,
      () => http.raw('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd(k) }),
      [201],
    );
  }
  for (const k of KINDS) {
    for (let attempt = 0; ; attempt++) {
      const res = await http.raw('POST', collectionPath(k), { body: object(k, 'warm-up', 0) });
      if (res.status === 201) break;
      if (attempt >= 100)
        throw new Error(
          `${k.plural}.${GROUP} did not start serving: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`,
        );
      await sleep(200);
    }
    await expectStatus(
      http,
      `deleting the warm-up ${k.kind}`,
      () => http.raw('DELETE', `${collectionPath(k)}/warm-up`),
      [200],
    );
  }
}

async function runSide(
  kind: DatastoreKind,
  apiserverBinary: string,
  etcdBinary: string,
  etcdVer: string,
): Promise<SideResult> {
  const loadBefore = loadAverage();
  const scratch = mkdtempSync(path.join(tmpdir(), 'cnpaas-scale-'));
  let stack: BenchStack | undefined;
  const stopOnSignal = () => {
    log('interrupted: stopping…');
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    log(
      `${kind}: starting ${kind === 'store' ? 'cnpaas-store (one SQLite backend per kind)' : `etcd ${etcdVer}`} and ${apiserverMode(kind)} (load ${loadBefore})…`,
    );
    stack = await startStack({
      kind,
      apiserverBinary,
      etcdBinary,
      etcdVersion: etcdVer,
      watchCache,
      log,
      ...(kind === 'store' ? { topology: writeTopology(scratch), selectorPushdown: pushdown } : {}),
      apiserverProfiling: heapProfiles !== undefined,
      apiserverArgs,
    });
    const http = KubeClient.fromFiles(
      {
        server: stack.server,
        caFile: stack.pki.ca.files.cert,
        client: { certFile: stack.pki.admin.cert, keyFile: stack.pki.admin.key },
      },
      { requestTimeoutMs: 60_000 },
    );
    try {
      await prepare(http);
      const heap = heapProfiles ? heapProfiler({ http, dir: heapProfiles, kind, target: objects, log }) : undefined;
      await heap?.take(0);
      const samples: ResourceSample[] = [];
      const running = stack;
      let lastLog = 0;
      const load = await runScaleLoad(http, {
        objects,
        durationMs,
        concurrency,
        log,
        alive: () => {
          const { apiserver, datastore } = running.pids();
          return rssBytes(apiserver) !== undefined && rssBytes(datastore) !== undefined;
        },
        onTick: (p) => {
          const { apiserver, datastore } = running.pids();
          const sample: ResourceSample = {
            elapsedMs: p.elapsedMs,
            created: p.created,
            disk: diskBytes(running.dataDir),
          };
          const a = rssBytes(apiserver);
          const d = rssBytes(datastore);
          if (a !== undefined) sample.apiserverRss = a;
          if (d !== undefined) sample.datastoreRss = d;
          samples.push(sample);
          heap?.progress(p.created);
          if (p.elapsedMs - lastLog >= 30_000) {
            lastLog = p.elapsedMs;
            log(
              `  ${kind}: ${Math.round(p.elapsedMs / 1000)} s, ${p.created.toLocaleString('en-US')} objects, ${p.checks.toLocaleString('en-US')} checks (${p.failed} failed), kube-apiserver ${mib(a)}, ${kind} ${mib(d)}, disk ${mib(sample.disk)}`,
            );
          }
        },
      });
      log(
        `${kind}: done (${load.stop}): ${load.created.toLocaleString('en-US')} objects in ${Math.round(load.wallMs / 1000)} s`,
      );
      if (heap) {
        await heap.take(load.created);
        const files = heap.files();
        if (files.length >= 2)
          log(
            `${kind}: ${files.length} heap profiles in ${heapProfiles}; growth: go tool pprof -top -sample_index=inuse_space -diff_base=${files[0]} ${apiserverBinary} ${files.at(-1)}`,
          );
      }
      return { kind, load, samples, loadBefore };
    } finally {
      http.close();
    }
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    log(`${kind}: stopping…`);
    await stack?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const ms = (x: number) => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const num = (x: number) => x.toLocaleString('en-US');
const peak = (s: ResourceSample[], f: (x: ResourceSample) => number | undefined) =>
  s.reduce<number | undefined>((m, x) => (f(x) === undefined ? m : Math.max(m ?? 0, f(x)!)), undefined);

function summaryCells(sides: SideResult[]): string[][] {
  const rows: [string, (s: SideResult) => string][] = [
    ['objects created', (s) => num(s.load.created)],
    ['ended by', (s) => s.load.stop],
    ['wall time', (s) => `${Math.round(s.load.wallMs / 1000)} s`],
    ['checks (failed)', (s) => `${num(s.load.checks)} (${num(s.load.failed)})`],
    ['requests/s', (s) => ((s.load.checks * 1000) / s.load.wallMs).toFixed(1)],
    [
      'all requests p50 / p90 / p95 / p99, ms',
      (s) => {
        const all = mergeSorted(s.load);
        return [50, 90, 95, 99].map((p) => ms(percentile(all, p))).join(' / ');
      },
    ],
    [
      'create p50 / p99, ms',
      (s) => {
        const c = s.load.creates.sorted();
        return `${ms(percentile(c, 50))} / ${ms(percentile(c, 99))}`;
      },
    ],
    [
      'read by label p50 / p99, ms',
      (s) => {
        const r = s.load.reads.sorted();
        return `${ms(percentile(r, 50))} / ${ms(percentile(r, 99))}`;
      },
    ],
    [
      'read by label p99, last tenth of the run, ms',
      (s) => {
        const r = s.load.reads.sorted(Math.floor(s.load.reads.length * 0.9));
        return ms(percentile(r, 99));
      },
    ],
    [
      'read of ten by label p50 / p99, ms (checks, failed)',
      (s) => {
        const r = s.load.batchReads.sorted();
        return `${ms(percentile(r, 50))} / ${ms(percentile(r, 99))} (${num(s.load.batchChecks)}, ${num(s.load.batchFailed)})`;
      },
    ],
    [
      'read of ten p99, last tenth of the run, ms',
      (s) => {
        const r = s.load.batchReads.sorted(Math.floor(s.load.batchReads.length * 0.9));
        return ms(percentile(r, 99));
      },
    ],
    [
      'kube-apiserver RSS peak / at end',
      (s) => `${mib(peak(s.samples, (x) => x.apiserverRss))} / ${mib(s.samples.at(-1)?.apiserverRss)}`,
    ],
    [
      'datastore RSS peak / at end',
      (s) => `${mib(peak(s.samples, (x) => x.datastoreRss))} / ${mib(s.samples.at(-1)?.datastoreRss)}`,
    ],
    ['datastore disk at end', (s) => mib(s.samples.at(-1)?.disk)],
    ['score (public formula)', (s) => num(score(s.load))],
  ];
  return [
    ['', ...sides.map((s) => (s.kind === 'store' ? 'cnpaas-store' : 'etcd'))],
    ...rows.map(([title, f]) => [title, ...sides.map(f)]),
  ];
}

/** Memory and disk as the objects grow: the sample nearest each tenth of the largest count reached. */
function growthCells(side: SideResult): string[][] {
  const top = side.load.created;
  const rows: string[][] = [['objects', 'kube-apiserver RSS', `${side.kind} RSS`, 'disk']];
  let last = -1;
  for (let tenth = 1; tenth <= 10; tenth++) {
    const target = (top * tenth) / 10;
    const i = side.samples.findIndex((s) => s.created >= target);
    if (i < 0 || i === last) continue;
    last = i;
    const s = side.samples[i]!;
    rows.push([num(s.created), mib(s.apiserverRss), mib(s.datastoreRss), mib(s.disk)]);
  }
  return rows;
}

async function main(): Promise<void> {
  const { info, kubeVersion, apiserver, etcdBinary, etcdVer } = await benchSubjects(flags.etcd, log);
  const pushdownBinary = pushdown
    ? (await resolveAll(['kube-apiserver-pushdown'], process.env, log)).found['kube-apiserver-pushdown'].path
    : apiserver;
  const sides: SideResult[] = [];
  for (const kind of datastores as DatastoreKind[])
    sides.push(await runSide(kind, kind === 'store' ? pushdownBinary : apiserver, etcdBinary, etcdVer));

  // Only the datastores that ran are described.
  const setups = [
    ...(datastores.includes('etcd')
      ? [`etcd ${etcdVer} (${etcdBinary}) with its default 2 GiB space quota and fsync`]
      : []),
    ...(datastores.includes('store') ? ['the store durable, one SQLite backend per kind'] : []),
  ];
  const about = [
    `machine: ${info.cpu}, ${info.cores} cores, ${info.kernel}; temp dirs on ${info.filesystem}; Node ${info.node}`,
    `kube-apiserver v${kubeVersion}: ${datastores.map((d) => `${d} side ${apiserverMode(d as DatastoreKind)}`).join('; ')}; ${setups.join('; ')}`,
    `workload: up to ${num(objects)} objects over ${KINDS.length} CRD kinds (${GROUP}), ${concurrency} virtual users, each iteration one create per kind then one read per kind by \`labelSelector=name=<name>\`, and per ten iterations one read of ten per kind by \`labelSelector=batch=<n>\`; at most ${Math.round(durationMs / 1000)} s per datastore, one datastore at a time`,
    `load average before each side: ${sides.map((s) => `${s.kind} ${s.loadBefore}`).join('; ')}`,
    `commit ${info.commit}`,
  ];
  const summary = summaryCells(sides);
  console.log('');
  console.log(textTable(summary));
  for (const s of sides) {
    console.log(`\n${s.kind}, as the objects grew:`);
    console.log(textTable(growthCells(s)));
    if (s.load.failures.size > 0) {
      console.log(`${s.kind} failures:`);
      for (const [why, n] of s.load.failures) console.log(`  ${n}× ${why}`);
    }
  }
  console.log('');
  for (const line of about) console.log(line);

  if (flags.write) {
    const section = [
      `### Scale run, ${info.date}`,
      '',
      ...about.map((l) => `- ${l}`),
      '',
      markdownTable(summary),
      '',
      ...sides.flatMap((s) => [
        `${s.kind === 'store' ? 'cnpaas-store' : 'etcd'}, as the objects grew:`,
        '',
        markdownTable(growthCells(s)),
        '',
        ...(s.load.failures.size > 0
          ? ['Failures:', '', ...[...s.load.failures].map(([why, n]) => `- ${n}× ${why}`), '']
          : []),
      ]),
    ].join('\n');
    appendSection(flags.out, `${section}\n`, { heading: SCALE_HEADING, text: SCALE_INTRO });
    await formatMarkdownFile(flags.out);
    log(`appended to ${flags.out}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
