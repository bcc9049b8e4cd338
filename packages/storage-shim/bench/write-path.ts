/**
 * `node --import tsx bench/write-path.ts [--op=put|create] [--count=N] [--concurrency=N] [--fsync] [--rounds=N]`:
 * the revision store's own CPU per write, in-process, with no gRPC, HTTP/2 or client in the measurement. Requests
 * of one turn of the event loop share a group commit, as they do behind the server; each op writes a new key, as
 * the main bench's Put and create rows do. Prints the best round's CPU per op (its noise is other processes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { registry } from '../src/drivers/registry.js';
import { RevisionStore } from '../src/mvcc/store.js';
import { emptyTopology } from '../src/routing/topology.js';
import type { PutRequest, TxnRequest } from '../src/types.js';

const { values: flags } = parseArgs({
  options: {
    op: { type: 'string', default: 'put' },
    count: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    fsync: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '5' },
  },
});
const count = Number(flags.count);
const concurrency = Number(flags.concurrency);
async function round(): Promise<{ opsPerSec: number; cpuUs: number; perBatch: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-write-path-'));
  const store = new RevisionStore({
    dataDir: dir,
    topology: emptyTopology(),
    fsync: flags.fsync,
    opener: registry,
    logger: pino({ level: 'silent' }),
  });
  const value = Buffer.alloc(1024, 'x');
  const key = (i: number) => Buffer.from(`/registry/configmaps/bench/cm-${String(i).padStart(6, '0')}`);
  const put = (i: number): PutRequest => ({
    key: key(i),
    value,
    lease: 0n,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
  });
  const create = (i: number): TxnRequest => ({
    compare: [
      { key: key(i), target: 'MOD', result: 'EQUAL', number: 0n, rangeEnd: Buffer.alloc(0), value: Buffer.alloc(0) },
    ],
    success: [{ put: put(i) }],
    failure: [],
  });
  let next = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        if (flags.op === 'put') await store.put(put(i));
        else await store.txn(create(i));
      }
    }),
  );
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const perBatch = store.stats.writes / store.stats.batches;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { opsPerSec: (count / ms) * 1000, cpuUs: (cpu.user + cpu.system) / count, perBatch };
}
const results = [];
for (let r = 0; r < Number(flags.rounds); r++) results.push(await round());
const best = results.reduce((a, b) => (b.cpuUs < a.cpuUs ? b : a));
console.log(
  `${flags.op} c=${concurrency} fsync=${flags.fsync}: best of ${results.length}: ${best.cpuUs.toFixed(1)} µs CPU/op (${results.map((r) => r.cpuUs.toFixed(1)).join(' ')}), ${Math.round(best.opsPerSec)} ops/s, ${best.perBatch.toFixed(1)} writes/batch`,
);
