import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatMarkdownFile } from '../../../scripts/lib/format-markdown.js';
import { call, connect, type EtcdClient } from '../test/support/client.js';
import { startPostgres } from '../test/support/postgres.js';
import { startStore, type ServerHandle } from '../test/support/processes.js';
import { runLoad } from './load.js';
import { appendMarkdown, machine, machineLine } from './report.js';
import { referenceEtcd } from '../src/testing/reference-etcd.js';
import { markdownTable } from '../src/testing/bench-report.js';

/**
 * `npm run bench:replicas`: Put and the apiserver's create txn at concurrency
 * 64 against one store and against two replicas (docs/replicas.md), both on
 * the same private PostgreSQL (one database each), the load split evenly
 * over the replicas. Answers what a second replica costs or gains in write
 * throughput, since every write of both takes the same lock.
 *
 *   --write   append a dated section to docs/benchmarks.md (or --out=FILE)
 *   --count N operations per row (default 4000)
 */
const { values: flags } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    out: { type: 'string', default: resolve(import.meta.dirname, '../../../docs/benchmarks.md') },
    count: { type: 'string', default: '4000' },
  },
});
const count = Number(flags.count);
const log = (msg: string) => process.stderr.write(`${msg}\n`);

type Row = 'put' | 'create';

/** ops/s of one row, its operations spread round-robin over the clients. */
async function measure(
  clients: EtcdClient[],
  row: Row,
  prefix: string,
): Promise<{ opsPerSec: number; errors: number }> {
  const r = await runLoad({
    total: count,
    concurrency: 64,
    maxMs: 60_000,
    op: async (i) => {
      const c = clients[i % clients.length]!;
      const key = Buffer.from(`${prefix}${row}-${i}`);
      const value = Buffer.alloc(256, 'x');
      if (row === 'put') await call(c.kv, 'Put', { key, value });
      else
        await call(c.kv, 'Txn', {
          compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: 0 }],
          success: [{ request_put: { key, value } }],
        });
    },
  });
  return { opsPerSec: (r.ops / r.elapsedMs) * 1000, errors: r.errors };
}

async function subject(url: string, replicas: number): Promise<{ stores: ServerHandle[]; clients: EtcdClient[] }> {
  const stores: ServerHandle[] = [];
  for (let i = 0; i < replicas; i++) stores.push(await startStore({ extraArgs: [`--main-endpoint=${url}`] }));
  return { stores, clients: stores.map((s) => connect(s.target)) };
}

const server = await startPostgres();
const results: Record<string, Record<Row, { opsPerSec: number; errors: number }>> = {};
try {
  for (const db of ['one', 'two']) await server.createDatabase(db);
  for (const [label, db, n] of [
    ['1 store', 'one', 1],
    ['2 replicas', 'two', 2],
  ] as const) {
    const { stores, clients } = await subject(server.url(db), n);
    try {
      await measure(clients, 'put', '/warm/');
      results[label] = {
        put: await measure(clients, 'put', '/bench/'),
        create: await measure(clients, 'create', '/bench/'),
      };
      log(`${label}: ${JSON.stringify(results[label])}`);
    } finally {
      for (const c of clients) c.close();
      for (const s of stores) await s.stop();
    }
  }
} finally {
  await server.stop();
}

const fmt = (r: { opsPerSec: number; errors: number }) =>
  `${Math.round(r.opsPerSec).toLocaleString('en-US')}${r.errors ? ` (${r.errors} errors)` : ''}`;
const labels = Object.keys(results);
const table = markdownTable([
  ['row, ops/s', ...labels],
  ['Put, concurrency 64', ...labels.map((l) => fmt(results[l]!.put))],
  ['create txn (MOD==0 → put), c=64', ...labels.map((l) => fmt(results[l]!.create))],
]);
const section = `
## Replicas on PostgreSQL, ${new Date().toISOString().slice(0, 10)}

\`npm run bench:replicas\` (bench/replicas.ts): one store with
\`--main-endpoint\` against two replicas on one database of the same private
PostgreSQL 15 (fsync off, as in the tests), ${count} operations per row at
concurrency 64, the load split evenly over the replicas. ${machineLine(machine(referenceEtcd()))}.

${table}
`;
console.log(section);
if (flags.write) {
  appendMarkdown(flags.out, section);
  await formatMarkdownFile(flags.out);
}
