import { formatMarkdownFile } from '../../../scripts/lib/format-markdown.js';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../test/support/client.js';
import { freePort } from '../test/support/free-port.js';
import { startEtcd, startStore, type ServerHandle } from '../test/support/processes.js';
import { clientV3Version, ensureGoLoader, goVersion, runGoRow, type GoServer } from './go-client.js';
import { etcdFsyncs, storeFsyncs, type FsyncSource } from './metrics.js';
import {
  appendMarkdown,
  machine,
  machineLine,
  markdownTable,
  notes,
  ROWS,
  tableCells,
  textTable,
  type RowResult,
} from './report.js';
import { percentile } from './load.js';
import { walSize, walSizeLine } from './wal-size.js';
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
 * both durable, same client, same workload, one table. The throughput rows run
 * twice: with a grpc-js client, and with the Go clientv3 load generator
 * (scripts/k8s/cmd/etcd-load, built on first use; skipped without Go).
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
  return fsync
    ? { label, client: connect(server.target), watchClient: connect(server.target), fsync }
    : { label, client: connect(server.target), watchClient: connect(server.target) };
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
  const note =
    ms[0]?.eventFirst !== undefined
      ? `${samples.length} events, ${eventFirst} arrived before the ack`
      : `${ms[0]?.note ?? ''}, median of ${samples.length} runs`;
  const m: Measurement = { value: percentile(samples, p), ops: samples.length, errors, note };
  if (firstError !== undefined) m.firstError = firstError;
  return m;
}

/** How long the bench waits after the last write before measuring the store's WAL (a few checkpointer ticks). */
const WAL_PAUSE_MS = 5_000;
const settle = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const GO_MISSING = 'Go is not on PATH, so the Go clientv3 rows were skipped: install Go 1.24+ to add the clientv3 rows';

/** The Go loader, built before any server starts so the build competes with nothing timed. */
async function goLoader(): Promise<{ loader: string | undefined; skipped?: string }> {
  try {
    const loader = await ensureGoLoader();
    if (loader === undefined) log(`note: ${GO_MISSING}`);
    return loader === undefined ? { loader, skipped: GO_MISSING } : { loader };
  } catch (err) {
    const why = `the Go load generator did not build, so the Go clientv3 rows were skipped: ${err instanceof Error ? err.message.trim() : String(err)}`;
    log(`note: ${why}`);
    return { loader: undefined, skipped: why };
  }
}

async function main(): Promise<void> {
  const info = machine();
  log(`machine: ${machineLine(info)}`);
  const go = await goLoader();
  const goLine = go.loader
    ? `Go clientv3 rows: scripts/k8s/cmd/etcd-load on go.etcd.io/etcd/client/v3 ${clientV3Version()}, ${goVersion() ?? 'go version unknown'}`
    : undefined;
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
    const goServers = new Map<Target, GoServer>([
      [a, subject.fsync ? { target: subject.server.target, fsync: subject.fsync } : { target: subject.server.target }],
      [b, { target: etcdServer.target, fsync: etcdFsyncs(etcdServer.endpoint) }],
    ]);

    for (const t of targets) await warmUp(t);

    const results = new Map<RowId, [Measurement, Measurement]>();
    /**
     * Runs `total` operations of a row on both servers, split into rounds; round r
     * runs ops [offset, offset + count) and alternates which server goes first.
     * The servers never run at the same time, so they never compete for the CPU.
     */
    const rounds = async (
      total: number,
      row: (t: Target, slice: Slice, round: number) => Promise<Measurement>,
    ): Promise<[Measurement[], Measurement[]]> => {
      const out = new Map<Target, Measurement[]>([
        [a, []],
        [b, []],
      ]);
      for (let r = 0; r < sizes.rounds; r++) {
        const offset = Math.floor((r * total) / sizes.rounds);
        const slice: Slice = {
          offset,
          count: Math.floor(((r + 1) * total) / sizes.rounds) - offset,
          maxMs: sizes.maxRowMs,
        };
        for (const t of r % 2 === 0 ? [a, b] : [b, a]) out.get(t)!.push(await row(t, slice, r));
      }
      return [out.get(a)!, out.get(b)!];
    };
    const record = (id: RowId, ma: Measurement, mb: Measurement) => {
      results.set(id, [ma, mb]);
      log(`${id}: ${subjectName} ${summary(id, ma)}, etcd ${summary(id, mb)}`);
    };
    const throughput = async (
      id: RowId,
      total: number,
      row: (t: Target, slice: Slice, round: number) => Promise<Measurement>,
    ) => {
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

    // The throughput rows again, driven by the Go clientv3 loader (one process per round and server).
    // They run last so the grpc-js rows, list and watch see the same servers as before these rows existed.
    if (go.loader) {
      const loader = go.loader;
      const ns = (name: string) => `/registry/configmaps/${name}/`;
      await throughput('go-put-c1', sizes.putC1, (t, s, r) =>
        runGoRow(loader, goServers.get(t)!, {
          op: 'put',
          concurrency: 1,
          total: s.count,
          prefix: ns(`bench-go-put-1-r${r}`),
          maxMs: s.maxMs,
        }),
      );
      await throughput('go-put-c64', sizes.putC64, (t, s, r) =>
        runGoRow(loader, goServers.get(t)!, {
          op: 'put',
          concurrency: 64,
          total: s.count,
          prefix: ns(`bench-go-put-64-r${r}`),
          maxMs: s.maxMs,
        }),
      );
      // The loader has no offset, so each create round makes its own set of new keys under
      // its own prefix; update and get round r then work on the keys create round r made.
      const created: number[] = [];
      const objectsPrefix = (r: number) => ns(`bench-go-objects-r${r}`);
      await throughput('go-create-c64', sizes.objects, (t, s, r) => {
        created[r] = s.count;
        // Not cut short (as the grpc-js create row): the update and get rows need every key.
        return runGoRow(loader, goServers.get(t)!, {
          op: 'create',
          concurrency: 64,
          total: s.count,
          keys: s.count,
          prefix: objectsPrefix(r),
          maxMs: 600_000,
        });
      });
      const reuse = (op: 'update' | 'get') => (t: Target, s: Slice, r: number) => {
        const from = r % created.length;
        return runGoRow(loader, goServers.get(t)!, {
          op,
          concurrency: 64,
          total: s.count,
          keys: created[from]!,
          prefix: objectsPrefix(from),
          maxMs: s.maxMs,
        });
      };
      await throughput('go-update-c64', sizes.updates, reuse('update'));
      await throughput('go-get-c64', sizes.gets, reuse('get'));
    }

    for (const t of targets) {
      t.client.close();
      t.watchClient.close();
    }

    // How big the store's WAL is once writes pause: the checkpointer should have brought it back down by then.
    const walLine =
      flags.subject === 'store'
        ? await settle(WAL_PAUSE_MS).then(() => walSizeLine(walSize(subject.server.dataDir), WAL_PAUSE_MS))
        : undefined;

    // Rows that did not run (the Go rows without Go) are left out of the table.
    const rows: RowResult[] = ROWS.flatMap((spec) => {
      const r = results.get(spec.id);
      return r ? [{ spec, subject: r[0], etcd: r[1] }] : [];
    });
    const cells = tableCells(rows, subjectName);
    const rowNotes = notes(rows, subjectName);
    if (go.skipped) rowNotes.push(go.skipped);
    if (walLine) rowNotes.push(walLine);
    const sizesLine = `sizes: ${sizes.putC1} puts at c=1, ${sizes.putC64} at c=64, ${sizes.objects} creates, ${sizes.updates} updates, ${sizes.gets} gets, ${sizes.listRuns} lists, ${sizes.watchEvents} watch events${go.loader ? ' (the Go clientv3 rows: the same counts of puts, creates, updates and gets)' : ''}; each split into ${sizes.rounds} rounds alternating which server goes first (throughput: best round; times: pooled)`;
    console.log('');
    console.log(textTable(cells));
    console.log('');
    console.log(`machine: ${machineLine(info)}`);
    if (goLine) console.log(goLine);
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
        ...(goLine ? [`- ${goLine}`] : []),
        `- ${sizesLine}`,
        '',
        markdownTable(cells),
        '',
        ...rowNotes.map((n) => `- ${n}`),
        '',
      ].join('\n');
      appendMarkdown(flags.out, `${section}\n`);
      await formatMarkdownFile(flags.out);
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
