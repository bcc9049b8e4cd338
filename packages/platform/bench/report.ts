/**
 * The benchmark's table (store and etcd side by side, with a ratio where
 * ≥ 1× always means "the store at least as good"), the CPU table, the
 * machine description and the section appended to docs/benchmarks.md.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { storageOps } from './metrics.js';
import type { ProfileSummary } from './profile.js';
import { percentile, type PhaseId, type PhaseResult } from './workload.js';

export const HEADING = '## kube-apiserver on cnpaas-store vs etcd';

interface RowSpec {
  title: (o: { count: number; concurrency: number; listRuns: number; pagedRuns: number }) => string;
  phase: PhaseId;
  unit: 'ops/s' | 'ms';
  value: (r: PhaseResult) => number;
}

const ops = (r: PhaseResult) => (r.ok * 1000) / r.wallMs;
const p = (q: number) => (r: PhaseResult) => percentile(r.samples, q);
const n = (x: number) => x.toLocaleString('en-US');

const ROWS: RowSpec[] = [
  {
    phase: 'create',
    unit: 'ops/s',
    value: ops,
    title: (o) => `create ${n(o.count)} ConfigMaps, c=${o.concurrency}: throughput`,
  },
  { phase: 'create', unit: 'ms', value: p(50), title: () => 'create: p50 latency' },
  { phase: 'create', unit: 'ms', value: p(99), title: () => 'create: p99 latency' },
  {
    phase: 'list',
    unit: 'ms',
    value: p(50),
    title: (o) => `LIST all ${n(o.count)} (no limit), median of ${o.listRuns}`,
  },
  {
    phase: 'list-paged',
    unit: 'ms',
    value: p(50),
    title: (o) => `LIST limit=500, all pages, median of ${o.pagedRuns}`,
  },
  {
    phase: 'update',
    unit: 'ops/s',
    value: ops,
    title: (o) => `update (merge PATCH) ${n(o.count)}, c=${o.concurrency}: throughput`,
  },
  { phase: 'update', unit: 'ms', value: p(50), title: () => 'update: p50 latency' },
  { phase: 'update', unit: 'ms', value: p(99), title: () => 'update: p99 latency' },
  { phase: 'delete', unit: 'ops/s', value: ops, title: (o) => `delete ${n(o.count)}, c=${o.concurrency}: throughput` },
  { phase: 'delete', unit: 'ms', value: p(50), title: () => 'delete: p50 latency' },
  { phase: 'delete', unit: 'ms', value: p(99), title: () => 'delete: p99 latency' },
];

export interface RunResult {
  phases: PhaseResult[];
  /** Load average just before this datastore's stack started. */
  loadBefore: string;
}

const fmt = (unit: RowSpec['unit'], v: number) =>
  Number.isNaN(v) ? 'n/a' : unit === 'ops/s' ? n(Math.round(v)) : v < 10 ? v.toFixed(2) : v.toFixed(1);
const cores = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(2));

export function resultCells(store: RunResult, etcd: RunResult, o: Parameters<RowSpec['title']>[0]): string[][] {
  const header = [
    'row',
    'unit',
    'store',
    'etcd',
    'store vs etcd (ops/s: store÷etcd; ms: etcd÷store; ≥ 1× = store as good or better)',
    'target ≥ 1×',
  ];
  const rows = ROWS.map((spec) => {
    const s = store.phases.find((r) => r.id === spec.phase);
    const e = etcd.phases.find((r) => r.id === spec.phase);
    const sv = s ? spec.value(s) : Number.NaN;
    const ev = e ? spec.value(e) : Number.NaN;
    const ratio = spec.unit === 'ops/s' ? sv / ev : ev / sv;
    const errors = (s?.errors ?? 0) > 0 || (e?.errors ?? 0) > 0;
    return [
      spec.title(o),
      spec.unit,
      fmt(spec.unit, sv),
      fmt(spec.unit, ev),
      Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a',
      errors ? 'ERRORS' : !Number.isFinite(ratio) ? '' : ratio >= 1 ? 'met' : 'MISSED',
    ];
  });
  return [header, ...rows];
}

export function cpuCells(store: RunResult, etcd: RunResult): string[][] {
  /** CPU ms per request (for the list rows: per whole listing). */
  const perOp = (r: PhaseResult, c: number | undefined) =>
    c !== undefined && r.ok > 0 ? ((c * r.wallMs) / r.ok).toFixed(2) : 'n/a';
  const pipeline = (r: PhaseResult | undefined) =>
    r && r.ok > 0 && r.cpu.apiserver !== undefined && r.cpu.datastore !== undefined
      ? ((r.cpu.apiserver + r.cpu.datastore + r.cpu.client) * r.wallMs) / r.ok
      : Number.NaN;
  const ms = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(2));
  /** Each column's title, and its cell from the store's phase and etcd's (as "store / etcd" where it has both). */
  const columns: Array<[title: string, cell: (s: PhaseResult, e: PhaseResult | undefined) => string]> = [
    ['phase', (s) => s.id],
    ['wall s (store / etcd)', both((r) => (r.wallMs / 1000).toFixed(1))],
    ['kube-apiserver cores (store / etcd)', both((r) => cores(r.cpu.apiserver))],
    ['datastore cores (store / etcd)', both((r) => cores(r.cpu.datastore))],
    ['bench client cores (store / etcd)', both((r) => cores(r.cpu.client))],
    ["other processes' cores (store / etcd)", both((r) => cores(r.cpu.others))],
    ['kube-apiserver CPU ms per request (store / etcd)', both((r) => perOp(r, r.cpu.apiserver))],
    ['datastore CPU ms per request (store / etcd)', both((r) => perOp(r, r.cpu.datastore))],
    ['apiserver + datastore + client CPU ms per request (store / etcd)', both((r) => ms(pipeline(r)))],
    [
      'that, etcd÷store',
      (s, e) => {
        const ratio = pipeline(e) / pipeline(s);
        return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a';
      },
    ],
  ];
  const rows = store.phases.map((s) => {
    const e = etcd.phases.find((r) => r.id === s.id);
    return columns.map(([, cell]) => cell(s, e));
  });
  return [columns.map(([title]) => title), ...rows];
}

/** A cell of one figure for the store's phase and etcd's: "store / etcd", n/a for a phase etcd did not run. */
function both(figure: (r: PhaseResult) => string): (s: PhaseResult, e: PhaseResult | undefined) => string {
  return (s, e) => `${figure(s)} / ${e ? figure(e) : 'n/a'}`;
}

export function storageCells(store: RunResult, etcd: RunResult): string[][] {
  const header = [
    'phase',
    'storage calls per request: mean ms (store)',
    'storage calls per request: mean ms (etcd)',
    'fsyncs per request (store / etcd)',
    'store: requests per commit batch',
  ];
  const describe = (r: PhaseResult | undefined) => {
    if (!r || r.ok === 0) return 'n/a';
    const ops = storageOps(r.counters.storage, r.ok);
    return ops.length
      ? ops.map((o) => `${o.op} ${o.perRequest.toFixed(2)}× ${o.meanMs.toFixed(1)} ms`).join(', ')
      : 'n/a';
  };
  const fsyncs = (r: PhaseResult | undefined) => {
    const f = r?.counters.datastore.get('fsyncs');
    return r && f !== undefined && r.ok > 0 ? (f / r.ok).toFixed(3) : 'n/a';
  };
  const rows = store.phases
    .filter((s) => !s.id.startsWith('list'))
    .map((s) => {
      const e = etcd.phases.find((r) => r.id === s.id);
      const batches = s.counters.datastore.get('batches');
      return [
        s.id,
        describe(s),
        describe(e),
        `${fsyncs(s)} / ${fsyncs(e)}`,
        batches ? (s.ok / batches).toFixed(1) : 'n/a',
      ];
    });
  return [header, ...rows];
}

export function profileCells(
  summaries: Map<PhaseId, ProfileSummary>,
): { categories: string[][]; functions: string[][] } | undefined {
  const phases = [...summaries.keys()];
  if (phases.length === 0) return undefined;
  const names = new Map<string, number>();
  for (const s of summaries.values())
    for (const c of s.categories) names.set(c.name, (names.get(c.name) ?? 0) + c.share);
  const pct = (v: number | undefined) => (v === undefined ? '—' : `${(v * 100).toFixed(0)} %`);
  const categories = [
    ['where (self time)', ...phases.map((ph) => `${ph} (${(summaries.get(ph)!.totalUs / 1e6).toFixed(1)} s)`)],
    ...[...names]
      .sort((a, b) => b[1] - a[1])
      .map(([name]) => [
        name,
        ...phases.map((ph) => pct(summaries.get(ph)!.categories.find((c) => c.name === name)?.share)),
      ]),
  ];
  const first = summaries.get('create') ?? summaries.values().next().value!;
  const functions = [
    ['function (create phase, self time)', 'where', 'share'],
    ...first.functions.map((f) => [f.name, f.where, pct(f.share)]),
  ];
  return { categories, functions };
}

/** Errors, cut-short phases and list sizes, so a surprising figure comes with its explanation. */
export function notes(store: RunResult, etcd: RunResult): string[] {
  const out: string[] = [];
  for (const [who, run] of [
    ['store', store],
    ['etcd', etcd],
  ] as const) {
    for (const r of run.phases) {
      if (r.errors > 0) out.push(`${who}, ${r.id}: ${r.errors} errors (first: ${r.firstError})`);
      if (r.note) out.push(`${who}, ${r.id}: ${r.note}`);
    }
  }
  return out;
}

const INTRO = `${HEADING}

Appended by \`npx nx run platform:bench -- --write\` (\`packages/platform/bench/\`).
The same kube-apiserver binary (the pinned version) runs on cnpaas-store and on
a real etcd, each stack in its own temp state dir with its own PKI and free
loopback ports, with \`--watch-cache=false\` so every GET and LIST reaches the
datastore. The store runs exactly as \`cnpaas up\` runs it (unix socket,
durable: no \`--unsafe-no-fsync\`, the demo topology); etcd runs with its
defaults (fsync on). No kube-controller-manager runs. Both stacks start first;
then each phase runs on one stack and right after on the other, alternating
which goes first, so the two figures of a row are taken seconds apart (only
one stack is under load at a time). The client is one Node process with the
admin client certificate over HTTPS keep-alive; every request is timed from
send to its last byte. In the ratio column ≥ 1× always means "the store at
least as good": throughput is store÷etcd, times are etcd÷store.

The CPU table gives each process's average cores used per phase
(/proc/<pid>/stat), out of the machine's two; "other processes" is the rest of
the machine's busy time (/proc/stat): other people's test runs on this shared
box (and the idle stack), the noise to read every figure against. The last
columns add up the CPU the whole request path spent per request (apiserver,
datastore and client): when the path saturates both cores, as it does here,
that ratio is the throughput ratio to expect on a quiet machine.
`;

/**
 * Appends a dated section; the first one under `intro.heading` also writes
 * the intro (which starts with that heading).
 */
export function appendSection(
  file: string,
  section: string,
  intro: { heading: string; text: string } = { heading: HEADING, text: INTRO },
): void {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // created below
  }
  const head = text.includes(intro.heading) ? '' : `${text === '' || text.endsWith('\n\n') ? '' : '\n'}${intro.text}\n`;
  appendFileSync(file, `${head}${section}`);
}
