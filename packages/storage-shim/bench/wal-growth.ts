import { parseArgs } from 'node:util';
import { call, connect } from '../test/support/client.js';
import { startStore } from '../test/support/processes.js';
import { machine, machineLine } from './report.js';
import { referenceEtcd } from '../src/testing/reference-etcd.js';
import { walSize } from './wal-size.js';

/**
 * `node --import tsx bench/wal-growth.ts`: how big the store's SQLite WAL
 * gets under a long run of puts, and how big it stays once they stop. The
 * main bench's runs are too short to pass the WAL limit; this one writes
 * enough to (100k puts of 1 KiB by default, the workload that once left
 * 356 MB of WAL beside a 145 MB database).
 *
 *   --puts=N          puts to send (default 100000), each to its own key
 *   --concurrency=N   puts in flight (default 64)
 *   --pause-ms=N      how long to wait after the last put before measuring (default 5000)
 *   --max-ms=N        stop sending after this long (default 300000)
 */
const { values: flags } = parseArgs({
  options: {
    puts: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '64' },
    'pause-ms': { type: 'string', default: '5000' },
    'max-ms': { type: 'string', default: '300000' },
  },
});
const puts = Number(flags.puts);
const concurrency = Number(flags.concurrency);
const pauseMs = Number(flags['pause-ms']);
const maxMs = Number(flags['max-ms']);
const MIB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

async function main(): Promise<void> {
  console.log(`machine: ${machineLine(machine(referenceEtcd()))}`);
  // Durable, and the store's own defaults (the WAL limit included): what a deployment runs.
  const store = await startStore();
  const client = connect(store.target);
  const value = Buffer.alloc(1024, 'v');
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, walSize(store.dataDir).walBytes)), 100);
  const started = Date.now();
  let next = 0;
  let acked = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < puts && Date.now() - started < maxMs) {
          const i = next++;
          await call(client.kv, 'Put', { key: Buffer.from(`/registry/configmaps/wal-growth/${i}`), value });
          acked++;
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const atEnd = walSize(store.dataDir);
    peak = Math.max(peak, atEnd.walBytes);
    await new Promise((r) => setTimeout(r, pauseMs));
    clearInterval(sampler);
    const paused = walSize(store.dataDir);
    console.log(
      `${acked} puts of 1 KiB at c=${concurrency} in ${seconds.toFixed(1)} s (${Math.round(acked / seconds)} puts/s)`,
    );
    console.log(`WAL: peak ${mib(peak)}, ${mib(atEnd.walBytes)} when the last put was acknowledged`);
    console.log(
      `after a ${pauseMs / 1000} s pause: ${mib(paused.walBytes)} of WAL beside ${mib(paused.dbBytes)} of database`,
    );
  } finally {
    clearInterval(sampler);
    client.close();
    await store.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
