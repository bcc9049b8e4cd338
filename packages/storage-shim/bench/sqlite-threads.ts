/**
 * `node --import tsx bench/sqlite-threads.ts [--count=N] [--rounds=N] [--modes=default,main,worker] [--profile=DIR]`:
 * the store's SQLite backends on the event loop's thread and on a worker thread
 * (`?thread=worker`, sqlite-thread-driver.ts), side by side in one run. One
 * store per mode (bench/sqlite-thread.ts: `default` is main.db as the store
 * ships, `main` a routed file on the main thread, `worker` the same file on a
 * worker thread), the same rows on each, round by round, rotating which store
 * goes first; the stores never run at the same time, so a busy machine slows
 * them alike rather than one of them. Each row reports the best round's
 * throughput and the store's CPU per operation over all rounds, for the whole
 * process and for its main thread alone (/proc).
 *
 * Rows: the apiserver's create txn and the paginated list of those objects
 * with grpc-js (bench/workload.ts), then Put at concurrency 1 and 64, create,
 * update and point Get at concurrency 64 with the Go clientv3 loader (skipped
 * without Go). `--profile=DIR` runs each store under `node --cpu-prof` into
 * DIR/<mode> and summarises its main thread's profile (measure without it:
 * the profiler costs CPU of its own).
 */
import { parseArgs } from 'node:util';
import { connect } from '../test/support/client.js';
import { startStore, type ServerHandle } from '../test/support/processes.js';
import { ensureGoLoader, runGoRow } from './go-client.js';
import { cpuMs } from './process-cpu.js';
import { mainThreadProfile, profileLines, summariseProfile } from './profile.js';
import { sqliteThreadTopology, type SqliteThread } from './sqlite-thread.js';
import { createRow, listRow, newObjects, warmUp, type Measurement, type Objects, type Target } from './workload.js';

type Mode = 'default' | SqliteThread;
const MODES: readonly Mode[] = ['default', 'main', 'worker'];

const { values: flags } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '2' },
    modes: { type: 'string', default: MODES.join(',') },
    profile: { type: 'string' },
  },
});
const count = Number(flags.count);
const rounds = Number(flags.rounds);
const modes = flags.modes.split(',') as Mode[];
if (!(Number.isInteger(count) && count >= 64 && count <= 100_000) || !(Number.isInteger(rounds) && rounds >= 1)) {
  console.error('bench/sqlite-threads.ts: --count must be a whole number from 64 to 100000, --rounds at least 1');
  process.exit(2);
}
if (modes.length < 2 || modes.some((m) => !MODES.includes(m))) {
  console.error(`bench/sqlite-threads.ts: --modes must list two or more of ${MODES.join(', ')}`);
  process.exit(2);
}

interface Subject {
  mode: Mode;
  server: ServerHandle;
  target: Target;
  objects: Objects;
}

/** One row on one store: best round, CPU over all rounds. */
interface Cell {
  best: Measurement;
  ops: number;
  cpuMs: number;
  mainCpuMs: number;
  errors: number;
}

async function start(mode: Mode): Promise<Subject> {
  const nodeArgs = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${flags.profile}/${mode}`] : [];
  const server = await startStore({
    nodeArgs,
    ...(mode === 'default' ? {} : { topology: sqliteThreadTopology(mode) }),
  });
  const client = connect(server.target);
  const target: Target = { label: mode, client, watchClient: client };
  await warmUp(target);
  return { mode, server, target, objects: newObjects(count) };
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const loader = await ensureGoLoader();
if (!loader) log('note: Go is not on PATH: only the grpc-js rows run');
const subjects: Subject[] = [];
const table = new Map<string, Map<Mode, Cell>>();

/** Runs `row` on every store for each round, rotating the order, and records CPU per op around each run. */
async function measure(
  title: string,
  total: number,
  row: (s: Subject, slice: { offset: number; count: number }, round: number) => Promise<Measurement>,
  best: (a: Measurement, b: Measurement) => Measurement = (a, b) => (b.value > a.value ? b : a),
): Promise<void> {
  const cells = new Map<Mode, Cell>();
  for (let r = 0; r < rounds; r++) {
    const offset = Math.floor((r * total) / rounds);
    const slice = { offset, count: Math.floor(((r + 1) * total) / rounds) - offset };
    const order = subjects.map((_, i) => subjects[(i + r) % subjects.length]!);
    for (const s of order) {
      const pid = s.server.child.pid!;
      const [cpu0, main0] = [cpuMs(pid), cpuMs(pid, pid)];
      const m = await row(s, slice, r);
      const [cpu, mainCpu] = [cpuMs(pid) - cpu0, cpuMs(pid, pid) - main0];
      const c = cells.get(s.mode);
      if (!c) cells.set(s.mode, { best: m, ops: m.ops, cpuMs: cpu, mainCpuMs: mainCpu, errors: m.errors });
      else {
        c.best = best(c.best, m);
        c.ops += m.ops;
        c.cpuMs += cpu;
        c.mainCpuMs += mainCpu;
        c.errors += m.errors;
      }
    }
  }
  table.set(title, cells);
  log(
    `${title}: ${[...cells].map(([mode, c]) => `${mode} ${c.best.value.toFixed(1)} (${perOp(c.cpuMs, c.ops)} µs CPU/op, ${perOp(c.mainCpuMs, c.ops)} main)`).join(', ')}`,
  );
}

/** Where a store's main thread spends its time, by what is on the stack. */
const PROFILE_GROUPS: Record<string, (f: { functionName: string; url: string }) => boolean> = {
  'waiting for the worker (synchronous SqlBridge calls)': (f) =>
    /sql-bridge\.[jt]s$/.test(f.url) && ['query', 'script', 'revisions', 'session'].includes(f.functionName),
  'SQLite driver on the main thread (sqlite-driver, sqlite-file, prefix-counts)': (f) =>
    /(sqlite-driver|sqlite-file|prefix-counts|wal-sync)\.[jt]s$/.test(f.url),
  'network driver and bridge (network-sql-driver, sql-bridge)': (f) =>
    /(network-sql-driver|sql-bridge|revision-rows)\.[jt]s$/.test(f.url),
  'gRPC and HTTP/2': (f) => f.url.includes('@grpc/grpc-js') || f.url.includes('internal/http2'),
  'garbage collection': (f) => f.functionName === '(garbage collector)',
  'idle (event loop waiting)': (f) => f.functionName === '(idle)',
};

const perOp = (ms: number, ops: number) => (ops > 0 ? ((ms * 1000) / ops).toFixed(0) : 'n/a');

try {
  for (const mode of modes) subjects.push(await start(mode));
  await measure('create txn, c=64 (grpc-js), ops/s', count, (s, slice) =>
    createRow(s.target, s.objects, { ...slice, maxMs: 600_000 }),
  );
  // The list row lists every object the create row made; a run's time is the figure (lower is better).
  await measure(
    'list of the created objects, pages of 500 (grpc-js), ms',
    rounds * 3,
    (s, slice) => listRow(s.target, count, slice.count),
    (a, b) => (b.value < a.value ? b : a),
  );
  if (loader) {
    const go = (op: 'put' | 'create' | 'update' | 'get', concurrency: number, prefix: (r: number) => string) => {
      return (s: Subject, slice: { count: number }, r: number) =>
        runGoRow(
          loader,
          { target: s.server.target },
          {
            op,
            concurrency,
            total: slice.count,
            keys: op === 'put' ? slice.count : Math.floor(count / rounds),
            prefix: prefix(r),
            maxMs: 120_000,
          },
        );
    };
    const objects = (r: number) => `/registry/configmaps/go-objects-r${r}/`;
    await measure(
      'Put, c=1 (Go clientv3), ops/s',
      Math.max(64, Math.floor(count / 5)),
      go('put', 1, (r) => `/registry/configmaps/go-put-1-r${r}/`),
    );
    await measure(
      'Put, c=64 (Go clientv3), ops/s',
      count,
      go('put', 64, (r) => `/registry/configmaps/go-put-64-r${r}/`),
    );
    await measure('create txn, c=64 (Go clientv3), ops/s', count, go('create', 64, objects));
    await measure('update txn, c=64 (Go clientv3), ops/s', count, go('update', 64, objects));
    await measure('point Get, c=64 (Go clientv3), ops/s', count, go('get', 64, objects));
  }
} finally {
  for (const s of subjects) {
    s.target.client.close();
    await s.server.stop();
  }
}

const header = ['row', ...modes.map((m) => m), ...modes.slice(1).map((m) => `${m}/${modes[0]}`)];
const cpuHeader = modes.map((m) => `CPU/op µs ${m} (main thread)`);
const lines = [
  `| ${[...header, ...cpuHeader].join(' | ')} |`,
  `| ${[...header, ...cpuHeader].map(() => '---').join(' | ')} |`,
];
for (const [title, cells] of table) {
  const values = modes.map((m) => cells.get(m)!);
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(1));
  const ratios = values.slice(1).map((c) => `${(c.best.value / values[0]!.best.value).toFixed(2)}×`);
  const cpu = values.map((c) => `${perOp(c.cpuMs, c.ops)} (${perOp(c.mainCpuMs, c.ops)})`);
  const errors = values.some((c) => c.errors > 0) ? ` (errors: ${values.map((c) => c.errors).join('/')})` : '';
  lines.push(
    `| ${title}${errors} | ${values.map((c) => fmt(c.best.value)).join(' | ')} | ${ratios.join(' | ')} | ${cpu.join(' | ')} |`,
  );
}
console.log(lines.join('\n'));
if (flags.profile) {
  for (const mode of modes) {
    const file = mainThreadProfile(`${flags.profile}/${mode}`);
    if (!file) continue;
    console.log(`\n${mode}: ${file}`);
    for (const line of profileLines(summariseProfile(file, PROFILE_GROUPS))) console.log(`- ${line}`);
  }
}
console.log(
  `\n${count} operations a row (Put c=1: ${Math.max(64, Math.floor(count / 5))}), ${rounds} rounds rotating which store goes first; throughput: best round; CPU: all rounds, /proc utime+stime of the store process (and of its main thread)`,
);
