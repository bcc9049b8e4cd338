import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/free-port.js';
import { startStore, type ServerHandle } from '../test/support/processes.js';
import { ensureGoLoader, runGoRow, type GoArgs } from './go-client.js';
import { storeFsyncs } from './metrics.js';
import { cpuMs } from './process-cpu.js';

/**
 * `node --import tsx bench/grpc-impl.ts`: the store's CPU per request with KV
 * served by grpc-js and by the lean path (--grpc-impl), back to back. The
 * load is the Go clientv3 loader (the client kube-apiserver uses), so the
 * client's own cost stays out of the store's process; the store's CPU is
 * read from /proc before and after each row. Rounds alternate which
 * implementation goes first; each row's figure is the median of its rounds.
 *
 *   --rounds=N   rounds per implementation (default 3)
 *   --count=N    operations per row and round (default 20000)
 */

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    count: { type: 'string', default: '20000' },
  },
});
const rounds = Number(flags.rounds);
const count = Number(flags.count);
const IMPLS = ['grpc-js', 'lean'] as const;
type Impl = (typeof IMPLS)[number];

interface Row {
  title: string;
  args: (round: number) => GoArgs;
}

/** 64 concurrent ops of one kind per round, on the keys under `/registry/configmaps/<set>-<round>/` (`keys` of them). */
function c64(op: GoArgs['op'], set: string, keys?: number): (round: number) => GoArgs {
  return (round) => ({
    op,
    concurrency: 64,
    total: count,
    ...(keys === undefined ? {} : { keys }),
    prefix: `/registry/configmaps/${set}-${round}/`,
    maxMs: 60_000,
  });
}

const ROWS: Row[] = [
  { title: 'Put, c=64', args: c64('put', 'put') },
  // Get reads the keys the create row of the same round made.
  { title: 'create txn, c=64', args: c64('create', 'create', count) },
  { title: 'point Get, c=64', args: c64('get', 'create', count) },
];

interface Sample {
  opsPerSec: number;
  cpuUsPerOp: number;
  cpuShare: number;
}

async function runImpl(loader: string, impl: Impl, round: number): Promise<Sample[]> {
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}`;
  const server: ServerHandle = await startStore({
    extraArgs: [`--listen-metrics-urls=${metricsUrl}`, `--grpc-impl=${impl}`],
  });
  try {
    const pid = server.child.pid!;
    const out: Sample[] = [];
    for (const row of ROWS) {
      const before = cpuMs(pid);
      const started = performance.now();
      const m = await runGoRow(loader, { target: server.target, fsync: storeFsyncs(metricsUrl) }, row.args(round));
      const wallMs = performance.now() - started;
      const cpu = cpuMs(pid) - before;
      if (m.errors > 0) throw new Error(`${impl} ${row.title}: ${m.errors} errors, first: ${m.firstError}`);
      out.push({ opsPerSec: m.value, cpuUsPerOp: (cpu * 1000) / m.ops, cpuShare: cpu / wallMs });
      process.stderr.write(
        `${impl} round ${round} ${row.title}: ${Math.round(m.value)} ops/s, ${((cpu * 1000) / m.ops).toFixed(1)} µs CPU/op\n`,
      );
    }
    return out;
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const loader = await ensureGoLoader();
if (!loader) {
  console.error('bench/grpc-impl.ts needs Go on PATH for the clientv3 loader');
  process.exit(2);
}
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
const samples: Record<Impl, Sample[][]> = { 'grpc-js': [], lean: [] };
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? IMPLS : [...IMPLS].reverse();
  for (const impl of order) samples[impl].push(await runImpl(loader, impl, round));
}

const lines = [
  `load average at start: ${load}; ${rounds} rounds of ${count} operations per row, medians`,
  '',
  '| row | grpc-js ops/s | lean ops/s | grpc-js µs CPU/op | lean µs CPU/op | CPU/op lean vs grpc-js |',
  '| --- | --- | --- | --- | --- | --- |',
];
ROWS.forEach((row, i) => {
  const pick = (impl: Impl, f: (s: Sample) => number) => median(samples[impl].map((r) => f(r[i]!)));
  const cpuJs = pick('grpc-js', (s) => s.cpuUsPerOp);
  const cpuLean = pick('lean', (s) => s.cpuUsPerOp);
  lines.push(
    `| ${row.title} | ${Math.round(pick('grpc-js', (s) => s.opsPerSec)).toLocaleString('en-US')} | ${Math.round(
      pick('lean', (s) => s.opsPerSec),
    ).toLocaleString(
      'en-US',
    )} | ${cpuJs.toFixed(1)} | ${cpuLean.toFixed(1)} | ${(((cpuLean - cpuJs) / cpuJs) * 100).toFixed(0)} % |`,
  );
});
console.log(lines.join('\n'));
