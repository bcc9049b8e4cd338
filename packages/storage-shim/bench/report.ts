import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type BenchMachine, benchMachine } from '../src/testing/bench-report.js';
import { etcdVersion } from '../src/testing/reference-etcd.js';
import type { Measurement, RowId } from './workload.js';

/** What a row measures and the goal it is held against. */
export interface RowSpec {
  id: RowId;
  title: string;
  unit: 'ops/s' | 'ms';
  better: 'higher' | 'lower';
  goal:
    | { kind: 'ratio-at-least'; ratio: number }
    | { kind: 'ratio-at-most'; ratio: number }
    | { kind: 'at-most-ms'; ms: number }
    | { kind: 'none' };
}

export const ROWS: RowSpec[] = [
  {
    id: 'put-c1',
    title: 'Put, concurrency 1',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 2 },
  },
  {
    id: 'put-c64',
    title: 'Put, concurrency 64',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 2 },
  },
  {
    id: 'create-c64',
    title: 'create txn (MOD==0 → put), c=64',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 2 },
  },
  {
    id: 'update-c64',
    title: 'update txn (MOD==rev → put / range), c=64',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 2 },
  },
  {
    id: 'get-c64',
    title: 'point Get (Range limit 1), c=64',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 1.5 },
  },
  {
    id: 'list-10k',
    title: 'list 10k keys, pages of 500, pinned rev',
    unit: 'ms',
    better: 'lower',
    goal: { kind: 'ratio-at-most', ratio: 0.5 },
  },
  { id: 'watch-p50', title: 'watch delivery p50 (ack → event)', unit: 'ms', better: 'lower', goal: { kind: 'none' } },
  {
    id: 'watch-p99',
    title: 'watch delivery p99 (ack → event)',
    unit: 'ms',
    better: 'lower',
    goal: { kind: 'at-most-ms', ms: 1 },
  },
  {
    id: 'watch-e2e-p50',
    title: 'watch delivery p50 (put sent → event)',
    unit: 'ms',
    better: 'lower',
    goal: { kind: 'none' },
  },
  {
    id: 'watch-e2e-p99',
    title: 'watch delivery p99 (put sent → event)',
    unit: 'ms',
    better: 'lower',
    goal: { kind: 'none' },
  },
  // Go clientv3 (kube-apiserver's client) instead of grpc-js: not bound by one JS thread at c=64. Skipped without Go.
  {
    id: 'go-put-c1',
    title: 'Put, c=1 (Go clientv3)',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 2 },
  },
  {
    id: 'go-put-c64',
    title: 'Put, c=64 (Go clientv3)',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 2 },
  },
  {
    id: 'go-create-c64',
    title: 'create txn, c=64 (Go clientv3)',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 2 },
  },
  {
    id: 'go-update-c64',
    title: 'update txn, c=64 (Go clientv3)',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 2 },
  },
  {
    id: 'go-get-c64',
    title: 'point Get, c=64 (Go clientv3)',
    unit: 'ops/s',
    better: 'higher',
    goal: { kind: 'ratio-at-least', ratio: 1.5 },
  },
];

/** Whether a row writes (and so has an fsyncs/write figure). */
export function isWriteRow(id: RowId): boolean {
  const base = id.replace(/^go-/, '');
  return base.startsWith('put') || base.startsWith('create') || base.startsWith('update');
}

export interface RowResult {
  spec: RowSpec;
  subject: Measurement;
  etcd: Measurement;
  /** kine on the same kind of database, with `--backend postgres|mysql`. */
  kine?: Measurement;
}

/** What the store on a network database is held to against kine on the same database. */
export const KINE_RATIO = 1.5;

/** The kine goal of a row: every write row and the paginated list; none elsewhere. */
export function kineGoal(id: RowId): RowSpec['goal'] {
  if (isWriteRow(id)) return { kind: 'ratio-at-least', ratio: KINE_RATIO };
  if (id === 'list-10k') return { kind: 'ratio-at-most', ratio: Number((1 / KINE_RATIO).toFixed(2)) };
  return { kind: 'none' };
}

/**
 * Why a row has no kine figure: every operation failed, as when kine does not
 * implement the request (it serves the apiserver's forms, not all of etcd).
 */
export function unsupported(m: Measurement | undefined): string | undefined {
  if (!m || m.ops > 0 || m.errors === 0) return undefined;
  return (m.firstError ?? 'every request failed').replace(/\s+/g, ' ').slice(0, 120);
}

function fmtValue(unit: RowSpec['unit'], v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return 'n/a';
  if (unit === 'ops/s') return `${Math.round(v).toLocaleString('en-US')}`;
  return v < 10 ? v.toFixed(3) : v.toFixed(1);
}

const fmtMs = (v: number | undefined) =>
  v === undefined || Number.isNaN(v) ? 'n/a' : v < 10 ? v.toFixed(2) : v.toFixed(1);
const fmtFsync = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(3));

function goalText(goal: RowSpec['goal'], other: string): string {
  switch (goal.kind) {
    case 'ratio-at-least':
      return `≥ ${goal.ratio}× ${other}`;
    case 'ratio-at-most':
      return `≤ ${goal.ratio}× ${other}'s time`;
    case 'at-most-ms':
      return `≤ ${goal.ms} ms`;
    case 'none':
      return '—';
  }
}

function verdict(goal: RowSpec['goal'], subject: Measurement, other: Measurement): string {
  if (subject.errors > 0) return 'ERRORS';
  const ratio = subject.value / other.value;
  switch (goal.kind) {
    case 'ratio-at-least':
      return ratio >= goal.ratio ? 'met' : 'MISSED';
    case 'ratio-at-most':
      return ratio <= goal.ratio ? 'met' : 'MISSED';
    case 'at-most-ms':
      return subject.value <= goal.ms ? 'met' : 'MISSED';
    case 'none':
      return '';
  }
}

const ratioText = (a: Measurement, b: Measurement) => {
  const ratio = a.value / b.value;
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a';
};

/** The table as rows of cells; the first row is the header. The kine columns appear when any row has kine. */
export function tableCells(results: RowResult[], subjectName: string): string[][] {
  const withKine = results.some((r) => r.kine !== undefined);
  const header = [
    'row',
    'unit (better)',
    subjectName,
    'etcd',
    ...(withKine ? ['kine'] : []),
    `${subjectName}/etcd`,
    'target',
    'verdict',
    ...(withKine ? [`${subjectName}/kine`, 'kine target', 'verdict (kine)'] : []),
    `p99 ms (${subjectName} / etcd${withKine ? ' / kine' : ''})`,
    `fsyncs/write (${subjectName} / etcd)`,
  ];
  const rows = results.map((r) => {
    const kineCells: string[] = [];
    const kineMissing = unsupported(r.kine);
    if (withKine && r.kine && kineMissing === undefined) {
      const goal = kineGoal(r.spec.id);
      kineCells.push(ratioText(r.subject, r.kine), goalText(goal, 'kine'), verdict(goal, r.subject, r.kine));
    } else if (withKine) {
      kineCells.push('n/a', goalText(kineGoal(r.spec.id), 'kine'), 'n/a');
    }
    const kineP99 = withKine ? ` / ${kineMissing === undefined ? fmtMs(r.kine?.p99Ms) : 'n/a'}` : '';
    const latencies =
      r.subject.p99Ms === undefined ? '' : `${fmtMs(r.subject.p99Ms)} / ${fmtMs(r.etcd.p99Ms)}${kineP99}`;
    const fsyncs = isWriteRow(r.spec.id)
      ? `${fmtFsync(r.subject.fsyncsPerWrite)} / ${fmtFsync(r.etcd.fsyncsPerWrite)}`
      : '';
    const kineValue = kineMissing === undefined ? fmtValue(r.spec.unit, r.kine?.value) : `n/a (${kineMissing})`;
    return [
      r.spec.title,
      `${r.spec.unit} (${r.spec.better})`,
      fmtValue(r.spec.unit, r.subject.value),
      fmtValue(r.spec.unit, r.etcd.value),
      ...(withKine ? [kineValue] : []),
      ratioText(r.subject, r.etcd),
      goalText(r.spec.goal, 'etcd'),
      verdict(r.spec.goal, r.subject, r.etcd),
      ...kineCells,
      latencies,
      fsyncs,
    ];
  });
  return [header, ...rows];
}

/** Errors, server-side write counts and row notes, so a surprising figure comes with its explanation. */
export function notes(results: RowResult[], subjectName: string): string[] {
  const out: string[] = [];
  for (const r of results) {
    const measured: Array<readonly [string, Measurement]> = [
      [subjectName, r.subject],
      ['etcd', r.etcd],
    ];
    // A row kine does not implement shows as n/a in the table; its other errors are noted like anyone's.
    if (r.kine && unsupported(r.kine) === undefined) measured.push(['kine', r.kine]);
    for (const [who, m] of measured) {
      if (m.errors > 0) out.push(`${r.spec.title}: ${who} had ${m.errors} errors (first: ${m.firstError})`);
      if (m.serverWrites !== undefined && m.serverWrites !== m.ops)
        out.push(`${r.spec.title}: ${who} counted ${m.serverWrites} writes, the client ${m.ops} acknowledged`);
      if (m.note && (r.spec.id === 'list-10k' || r.spec.id === 'watch-p99'))
        out.push(`${r.spec.title}: ${who}: ${m.note}`);
      // A Node client drives the load from one JS thread; near a full core it, not the server, sets the pace.
      if (m.clientCpu !== undefined && m.clientCpu > 0.85)
        out.push(
          `${r.spec.title}: against ${who} the client used ${(m.clientCpu * 100).toFixed(0)}% of a core, so this figure may be client-bound`,
        );
    }
  }
  return out;
}

/** The machine, and the etcd the store is compared with. */
export interface Machine extends BenchMachine {
  etcd: string;
}

export function machine(etcdBinary: string): Machine {
  return { ...benchMachine(), etcd: etcdVersion(etcdBinary) };
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.kernel}, Node ${m.node}, etcd ${m.etcd}, data dirs on ${m.filesystem}, commit ${m.commit}, load ${m.load}`;
}

const PREAMBLE = `# cnpaas-store benchmarks

Each section is appended by \`npx nx run storage-shim:bench -- --write\`
(\`packages/storage-shim/bench/\`). The store and a real etcd run side by side on
the same machine, over loopback, both durable (the store without
\`--unsafe-no-fsync\`), and get the same workload from the same client: a
grpc-js client for most rows, and for the rows marked "(Go clientv3)" the Go
load generator \`scripts/k8s/cmd/etcd-load\` on go.etcd.io/etcd/client/v3, the
client kube-apiserver uses (at concurrency 64 the grpc-js client can saturate
its one JS thread; the Go client does not). The Go rows are skipped when Go is
not installed. Values are ~1 KiB, keys \`/registry/configmaps/<ns>/<name>\`.

With \`--backend=postgres\` or \`--backend=mysql\` (\`npx nx run storage-shim:bench
-- --backend=postgres --write\`) the store keeps all of its state in a private
PostgreSQL or MariaDB that the bench starts, durable (PostgreSQL \`fsync=on\`,
\`synchronous_commit=on\`; MariaDB \`innodb_flush_log_at_trx_commit=1\`; read back
from the server and printed in the section), and a third column runs kine,
k3s's etcd shim (version pinned in \`scripts/k8s/KINE_VERSION\`, built by
\`scripts/k8s/build-kine.sh\`), on its own database of the same server. Those
sections add store/kine ratios and the target of ≥ 1.5× kine on every write
row and ≤ 0.67× kine's time on the list; a row kine refuses shows as "n/a
(why)". \`--profile=DIR\` adds where the store's main thread spent its time.
Run it under \`flock /tmp/cnpaas-live.lock\` on a shared machine.

`;

export function appendMarkdown(file: string, section: string): void {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, PREAMBLE);
  }
  appendFileSync(file, section);
}
