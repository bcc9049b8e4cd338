import { parseArgs } from 'node:util';
import { freePort } from '../test/support/free-port.js';
import { startStore } from '../test/support/processes.js';
import { ensureGoLoader, runGoRow, type GoArgs } from './go-client.js';
import { cpuMs } from './process-cpu.js';
import { parseSqliteThread, sqliteThreadTopology } from './sqlite-thread.js';

/**
 * `node --import tsx bench/write-rows.ts [--count=N] [--ops=put,create,update] [--sqlite-thread=main|worker]
 * [--profile=DIR]`: the store's write rows at concurrency 64 under the Go clientv3 loader, one store, no etcd,
 * each row with what the store itself says about it: its CPU per write (from /proc; all its threads, and its
 * main thread alone), requests per group commit and fsyncs per write (its metrics). For finding where a write
 * row's time goes; `--profile` runs the store under `node --cpu-prof`; `--sqlite-thread` puts the keys in a
 * routed SQLite file on the main thread or a worker thread (bench/sqlite-thread.ts). The update row updates
 * the keys the create row made.
 */

const { values: flags } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    ops: { type: 'string', default: 'put,create,update' },
    profile: { type: 'string' },
    'sqlite-thread': { type: 'string' },
  },
});
const thread = parseSqliteThread(flags['sqlite-thread']);
if (thread instanceof Error) {
  console.error(`bench/write-rows.ts: ${thread.message}`);
  process.exit(2);
}
const count = Number(flags.count);
const ops = flags.ops.split(',') as Array<GoArgs['op']>;
const loader = await ensureGoLoader();
if (!loader) {
  console.error('bench/write-rows.ts needs Go on PATH for the clientv3 loader');
  process.exit(2);
}
const port = await freePort();
const metricsUrl = `http://127.0.0.1:${port}`;
const server = await startStore({
  extraArgs: [`--listen-metrics-urls=${metricsUrl}`],
  nodeArgs: flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`] : [],
  ...(thread ? { topology: sqliteThreadTopology(thread) } : {}),
});

/** The store's commit counters. */
async function counters(): Promise<Record<'writes' | 'batches' | 'fsyncs', number>> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const get = (name: string) => Number(new RegExp(`^cnpaas_store_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { writes: get('writes_total'), batches: get('commit_batches_total'), fsyncs: get('fsyncs_total') };
}

try {
  const pid = server.child.pid!;
  for (const op of ops) {
    const cpu0 = cpuMs(pid);
    const main0 = cpuMs(pid, pid);
    const s0 = await counters();
    const m = await runGoRow(
      loader,
      { target: server.target },
      {
        op,
        concurrency: 64,
        total: count,
        keys: count,
        prefix: `/registry/configmaps/${op === 'update' ? 'create' : op}/`,
        maxMs: 60_000,
      },
    );
    const s1 = await counters();
    const cpu = cpuMs(pid) - cpu0;
    const mainCpu = cpuMs(pid, pid) - main0;
    const perBatch = (s1.writes - s0.writes) / (s1.batches - s0.batches);
    console.log(
      `${op} c=64: ${Math.round(m.value)} ops/s, ${((cpu * 1000) / m.ops).toFixed(1)} µs store CPU/write (${((mainCpu * 1000) / m.ops).toFixed(1)} µs on its main thread), p99 ${m.p99Ms} ms, ${m.errors} errors, ${perBatch.toFixed(1)} writes/batch, ${((s1.fsyncs - s0.fsyncs) / m.ops).toFixed(3)} fsyncs/write`,
    );
  }
} finally {
  await server.stop();
}
