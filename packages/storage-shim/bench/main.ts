import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../test/support/client.js';
import { freePort } from '../test/support/free-port.js';
import { startEtcd, startStore, type ServerHandle } from '../test/support/processes.js';
import { etcdFsyncs, storeFsyncs, type FsyncSource } from './metrics.js';
import { appendMarkdown, machine, machineLine, markdownTable, notes, ROWS, tableCells, textTable, type RowResult } from './report.js';
import { percentile } from './load.js';
import {
  createRow,
  FULL,
  getRow,
  listRow,
  newObjects,
  putRow,
  QUICK,
  updateRow,
  warmUp,
  watchRow,
  type Measurement,
  type Objects,
  type RowId,
  type Sizes,
  type Slice,
  type Target,
} from './workload.js';

/**
 * `nx run storage-shim:bench`: cnpaas-store against a real etcd, side by side,
 * both durable, same client, same workload, one table.
 *
 *   --write          append a dated section to docs/benchmarks.md (or --out=FILE)
 *   --quick          smaller counts (a smoke run; figures are noisier)
 *   --subject=etcd   run etcd against etcd, to validate the harness itself
 */

const USAGE = 'usage: bench [--write [--out=FILE]] [--quick] [--subject=store|etcd]';
const { values: flags } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    out: { type: 'string', default: resolve(import.meta.dirname, '../../../docs/benchmarks.md') },
    quick: { type: 'boolean', default: false },
    subject: { type: 'string', default: 'store' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
if (flags.subject !== 'store' && flags.subject !== 'etcd') {
  console.error(USAGE);
  process.exit(2);
}
const subjectName = flags.subject === 'store' ? 'store' : 'etcd#2';
const sizes: Sizes = flags.quick ? QUICK : FULL;

const log = (msg: string) => process.stderr.write(`${msg}\n`);

async function startSubject(): Promise<{ server: ServerHandle; fsync: FsyncSource | undefined }> {
  if (flags.subject === 'etcd') {
    const server = await startEtcd();
    return { server, fsync: etcdFsyncs(server.endpoint) };
  }
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}`;
  // Durable on purpose: no --unsafe-no-fsync, so the figures include the fsyncs an acknowledged write owes.
  const server = await startStore({ extraArgs: [`--listen-metrics-urls=${metricsUrl}`] });
  return { server, fsync: storeFsyncs(metricsUrl) };
}

function targetFor(label: string, server: ServerHandle, fsync: FsyncSource | undefined): Target {
  return fsync ? { label, client: connect(server.target), watchClient: connect(server.target), fsync } : { label, client: connect(server.target), watchClient: connect(server.target) };
}

function summary(id: RowId, m: Measurement): string {
  const spec = ROWS.find((r) => r.id === id)!;
  const v = spec.unit === 'ops/s' ? `${Math.round(m.value)} ops/s` : `${m.value.toFixed(3)} ms`;
  return `${v}${m.errors ? ` (${m.errors} errors: ${m.firstError})` : ''}`;
}

/** A throughput row's figure is the server's best round; errors count from every round. */
function best(ms: Measurement[]): Measurement {
  const top = ms.reduce((x, y) => (y.value > x.value ? y : x));
  const errors = ms.reduce((n, m) => n + m.errors, 0);
  const firstError = ms.find((m) => m.firstError !== undefined)?.firstError;
  return firstError === undefined ? { ...top, errors } : { ...top, errors, firstError };
}

/** Time rows (list, watch) pool every round's samples and take a percentile. */
function pooled(ms: Measurement[], p: number, which: 'samples' | 'e2eSamples' = 'samples'): Measurement {
  const samples = ms.flatMap((m) => m[which] ?? []).sort((x, y) => x - y);
  const errors = ms.reduce((n, m) => n + m.errors, 0);
  const firstError = ms.find((m) => m.firstError !== undefined)?.firstError;
  const eventFirst = ms.reduce((n, m) => n + (m.eventFirst ?? 0), 0);
  const note = ms[0]?.eventFirst !== undefined ? `${samples.length} events, ${eventFirst} arrived before the ack` : `${ms[0]?.note ?? ''}, median of ${samples.length} runs`;
  const m: Measurement = { value: percentile(samples, p), ops: samples.length, errors, note };
  if (firstError !== undefined) m.firstError = firstError;
  return m;
}

async function main(): Promise<void> {
  const info = machine();
  log(`machine: ${machineLine(info)}`);
  log(`starting ${subjectName} and etcd (durable, loopback)…`);
  const servers: ServerHandle[] = [];
  const stopAll = () => Promise.all(servers.map((s) => s.stop().catch(() => {})));
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const [subject, etcdServer] = await Promise.all([startSubject(), startEtcd()]);
    servers.push(subject.server, etcdServer);
    const a = targetFor(subjectName, subject.server, subject.fsync);
    const b = targetFor('etcd', etcdServer, etcdFsyncs(etcdServer.endpoint));
    const targets = [a, b] as const;

    for (const t of targets) await warmUp(t);

    const results = new Map<RowId, [Measurement, Measurement]>();
    /**
     * Runs `total` operations of a row on both servers, split into rounds; round r
     * runs ops [offset, offset + count) and alternates which server goes first.
     * The servers never run at the same time, so they never compete for the CPU.
     */
    const rounds = async (total: number, row: (t: Target, slice: Slice) => Promise<Measurement>): Promise<[Measurement[], Measurement[]]> => {
      const out = new Map<Target, Measurement[]>([
        [a, []],
        [b, []],
      ]);
      for (let r = 0; r < sizes.rounds; r++) {
        const offset = Math.floor((r * total) / sizes.rounds);
        const slice: Slice = { offset, count: Math.floor(((r + 1) * total) / sizes.rounds) - offset, maxMs: sizes.maxRowMs };
        for (const t of r % 2 === 0 ? [a, b] : [b, a]) out.get(t)!.push(await row(t, slice));
      }
      return [out.get(a)!, out.get(b)!];
    };
    const record = (id: RowId, ma: Measurement, mb: Measurement) => {
      results.set(id, [ma, mb]);
      log(`${id}: ${subjectName} ${summary(id, ma)}, etcd ${summary(id, mb)}`);
    };
    const throughput = async (id: RowId, total: number, row: (t: Target, slice: Slice) => Promise<Measurement>) => {
      const [ra, rb] = await rounds(total, row);
      record(id, best(ra), best(rb));
    };

    await throughput('put-c1', sizes.putC1, (t, s) => putRow(t, 1, s));
    await throughput('put-c64', sizes.putC64, (t, s) => putRow(t, 64, s));
    const objects = new Map<Target, Objects>(targets.map((t) => [t, newObjects(sizes.objects)]));
    await throughput('create-c64', sizes.objects, (t, s) => createRow(t, objects.get(t)!, s));
    await throughput('update-c64', sizes.updates, (t, s) => updateRow(t, objects.get(t)!, s));
    await throughput('get-c64', sizes.gets, (t, s) => getRow(t, objects.get(t)!, s));
    {
      const [ra, rb] = await rounds(sizes.listRuns, (t, s) => listRow(t, sizes.objects, s.count));
      record('list-10k', pooled(ra, 50), pooled(rb, 50));
    }
    {
      const [ra, rb] = await rounds(sizes.watchEvents, watchRow);
      record('watch-p50', pooled(ra, 50), pooled(rb, 50));
      record('watch-p99', pooled(ra, 99), pooled(rb, 99));
      record('watch-e2e-p50', pooled(ra, 50, 'e2eSamples'), pooled(rb, 50, 'e2eSamples'));
      record('watch-e2e-p99', pooled(ra, 99, 'e2eSamples'), pooled(rb, 99, 'e2eSamples'));
    }

    for (const t of targets) {
      t.client.close();
      t.watchClient.close();
    }

    const rows: RowResult[] = ROWS.map((spec) => {
      const [subjectM, etcdM] = results.get(spec.id)!;
      return { spec, subject: subjectM, etcd: etcdM };
    });
    const cells = tableCells(rows, subjectName);
    const rowNotes = notes(rows, subjectName);
    const sizesLine = `sizes: ${sizes.putC1} puts at c=1, ${sizes.putC64} at c=64, ${sizes.objects} creates, ${sizes.updates} updates, ${sizes.gets} gets, ${sizes.listRuns} lists, ${sizes.watchEvents} watch events; each split into ${sizes.rounds} rounds alternating which server goes first (throughput: best round; times: pooled)`;
    console.log('');
    console.log(textTable(cells));
    console.log('');
    console.log(`machine: ${machineLine(info)}`);
    console.log(sizesLine);
    for (const n of rowNotes) console.log(`note: ${n}`);

    if (flags.write) {
      const section = [
        `## ${info.date}${flags.subject === 'etcd' ? ' (harness check: etcd against etcd)' : ''}${flags.quick ? ' (quick run)' : ''}`,
        '',
        `- machine: ${info.cpu}, ${info.cores} cores, ${info.kernel}`,
        `- node ${info.node}, etcd ${info.etcd}, data dirs on ${info.filesystem}`,
        `- load average at start: ${info.load}`,
        `- commit ${info.commit}`,
        `- ${sizesLine}`,
        '',
        markdownTable(cells),
        '',
        ...rowNotes.map((n) => `- ${n}`),
        '',
      ].join('\n');
      appendMarkdown(flags.out, `${section}\n`);
      log(`appended to ${flags.out}`);
    }
  } finally {
    await stopAll();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
