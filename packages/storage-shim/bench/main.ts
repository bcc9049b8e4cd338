import { formatMarkdownFile } from '../../../scripts/lib/format-markdown.js';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../test/support/client.js';
import { freePort } from '../test/support/free-port.js';
import { startEtcd, startStore, type ServerHandle } from '../test/support/processes.js';
import { clientV3Version, ensureGoLoader, goVersion, runGoRow, type GoServer } from './go-client.js';
import { ensureKine, KINE_POOL, kineVersion, startKine } from './kine.js';
import { mainThreadProfile, profileLines, summariseProfile } from './profile.js';
import { etcdFsyncs, storeFsyncs, type FsyncSource } from './metrics.js';
import { appendMarkdown, machine, machineLine, notes, ROWS, tableCells, type RowResult } from './report.js';
import { markdownTable, textTable } from '../src/testing/bench-report.js';
import { olderEtcdHint, referenceEtcd } from '../src/testing/reference-etcd.js';
import { percentile } from './load.js';
import { BACKENDS, sqlMissing, startSqlBench, type Backend, type SqlBench } from './sql-backend.js';
import { parseSqliteThread, sqliteThreadLine, sqliteThreadTopology } from './sqlite-thread.js';
import { walSize, walSizeLine } from './wal-size.js';
import {
  createRow,
  FULL,
  getC1Row,
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
 *   --write            append a dated section to docs/benchmarks.md (or --out=FILE)
 *   --quick            smaller counts (a smoke run; figures are noisier)
 *   --count=N          N operations per row and N objects to list (a check that every column fills, not a measurement)
 *   --subject=etcd     run etcd against etcd, to validate the harness itself
 *   --etcd=PATH        the etcd to compare with (default: $ETCD_BIN, else the reference 3.6 that
 *                      `bash scripts/k8s/build.sh etcd` caches, else the etcd on PATH)
 *   --backend=postgres the store on a private PostgreSQL (--main-endpoint), and a third column:
 *   --backend=mysql    kine (scripts/k8s/build-kine.sh) on its own database of the same server
 *   --sqlite-thread=worker  the store's keys in one routed SQLite file on a worker thread of its own
 *   --sqlite-thread=main    the same file on the main thread: the control (bench/sqlite-thread.ts)
 *   --json=FILE        also write the rows as JSON (the live test reads it)
 *   --profile=DIR      run the store under node --cpu-prof into DIR and add a summary of its main thread's profile
 */

const USAGE =
  'usage: bench [--write [--out=FILE]] [--quick | --count=N] [--subject=store|etcd] [--etcd=PATH] [--backend=sqlite|postgres|mysql] [--sqlite-thread=main|worker] [--json=FILE] [--profile=DIR]';
const { values: flags } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    out: { type: 'string', default: resolve(import.meta.dirname, '../../../docs/benchmarks.md') },
    quick: { type: 'boolean', default: false },
    count: { type: 'string' },
    subject: { type: 'string', default: 'store' },
    etcd: { type: 'string' },
    backend: { type: 'string', default: 'sqlite' },
    'sqlite-thread': { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const usageError = (why: string): never => {
  console.error(`bench: ${why}\n${USAGE}`);
  process.exit(2);
};
if (flags.subject !== 'store' && flags.subject !== 'etcd')
  usageError(`--subject must be store or etcd, not ${flags.subject}`);
if (!(BACKENDS as readonly string[]).includes(flags.backend))
  usageError(`--backend must be one of ${BACKENDS.join(', ')}, not ${flags.backend}`);
const backend = flags.backend as Backend;
if (backend !== 'sqlite' && flags.subject === 'etcd')
  usageError('--subject=etcd checks the harness with etcd on both sides; it takes no --backend');
const parsedThread = parseSqliteThread(flags['sqlite-thread']);
const sqliteThread = parsedThread instanceof Error ? usageError(parsedThread.message) : parsedThread;
if (sqliteThread && (backend !== 'sqlite' || flags.subject === 'etcd'))
  usageError("--sqlite-thread places the store's keys in a SQLite file: it takes neither --backend nor --subject=etcd");
const threadTopology = sqliteThread ? sqliteThreadTopology(sqliteThread) : undefined;
const count = flags.count === undefined ? undefined : Number(flags.count);
if (count !== undefined && !(Number.isInteger(count) && count >= 1 && count <= 100_000))
  usageError(`--count must be a whole number from 1 to 100000, not ${flags.count}`);
const subjectName = flags.subject === 'store' ? 'store' : 'etcd#2';
const etcdBinary = flags.etcd ?? referenceEtcd();
/** --count: every row N operations, one list run, two rounds (so both orders run). */
const counted = (n: number): Sizes => ({
  putC1: n,
  putC64: n,
  objects: n,
  updates: n,
  gets: n,
  listRuns: 2,
  watchEvents: n,
  rounds: 2,
  maxRowMs: 15_000,
});
const sizes: Sizes = count !== undefined ? counted(count) : flags.quick ? QUICK : FULL;

const log = (msg: string) => process.stderr.write(`${msg}\n`);

async function startSubject(
  sql: SqlBench | undefined,
): Promise<{ server: ServerHandle; fsync: FsyncSource | undefined }> {
  if (flags.subject === 'etcd') {
    const server = await startEtcd({ binary: etcdBinary });
    return { server, fsync: etcdFsyncs(server.endpoint) };
  }
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}`;
  // Durable on purpose: no --unsafe-no-fsync, so the figures include the fsyncs an acknowledged write owes.
  const extraArgs = [`--listen-metrics-urls=${metricsUrl}`];
  // On a network database all of the store's state lives there (default backend and meta), as all of kine's does.
  if (sql) extraArgs.push(`--main-endpoint=${sql.storeEndpoint}`);
  const nodeArgs = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(flags.profile)}`] : [];
  const server = await startStore({ extraArgs, nodeArgs, ...(threadTopology ? { topology: threadTopology } : {}) });
  // The store's fsync counter counts the WAL syncs it makes itself; on a network database the server does the
  // fsyncs, and on a SQLite worker thread they are inside COMMIT, where the store does not count them.
  const counted = !sql && sqliteThread !== 'worker';
  return { server, fsync: counted ? storeFsyncs(metricsUrl) : undefined };
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

/** kine, built before any server starts; absent (with the reason) when it cannot be had. */
async function kineBinary(): Promise<{ binary: string | undefined; skipped?: string }> {
  try {
    const k = await ensureKine();
    if ('binary' in k) return { binary: k.binary };
    log(`note: ${k.missing}`);
    return { binary: undefined, skipped: k.missing };
  } catch (err) {
    const why = `kine did not build, so the kine column is empty: ${err instanceof Error ? err.message.trim() : String(err)}`;
    log(`note: ${why}`);
    return { binary: undefined, skipped: why };
  }
}

/** Where the store's main thread spends its time, by what is on the stack. */
const PROFILE_GROUPS: Record<string, (f: { functionName: string; url: string }) => boolean> = {
  'waiting for the database (synchronous SqlBridge.query)': (f) =>
    f.functionName === 'query' && /sql-bridge\.[jt]s$/.test(f.url),
  'idle (event loop waiting)': (f) => f.functionName === '(idle)',
  'gRPC and HTTP/2': (f) => f.url.includes('@grpc/grpc-js') || f.url.includes('internal/http2'),
  'garbage collection': (f) => f.functionName === '(garbage collector)',
};

/** One server under test: a column of the table. */
interface Column {
  target: Target;
  go: GoServer;
  /** kine answers what it does not implement with an error: its rows turn that into "n/a (why)" instead of stopping the run. */
  tolerant: boolean;
}

/** How long a row of a tolerant column may run before it counts as failed: a subject that hangs must not stop the run. */
const TOLERANT_ROW_DEADLINE_MS = 300_000;

/**
 * A row that threw (a request kine refuses, a watch it does not create) or
 * did not finish in time, as a measurement with every operation failed.
 */
async function guarded(row: () => Promise<Measurement>): Promise<Measurement> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${TOLERANT_ROW_DEADLINE_MS / 1000} s`)),
      TOLERANT_ROW_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([row(), deadline]);
  } catch (err) {
    return { value: Number.NaN, ops: 0, errors: 1, firstError: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What bounds the concurrency-1 rows on a database server, measured in the
 * same run, as two notes:
 *
 * - the bound: the Put row at concurrency 1 on a store whose keys are in a
 *   SQLite file of its data dir, fsynced per commit. That is the store's own
 *   path (gRPC, the batch, the commit) with no database round trip; a store
 *   on a database server pays its round trips on top of it.
 * - the floor: one Put cannot take less than a Get on that store (the gRPC
 *   round trip and the store's own work, no commit) plus one durable commit
 *   on the database server, timed from this process's driver. The two
 *   together give the most any store of this shape (a gRPC server in front
 *   of one commit per write) could answer, as a ratio to kine.
 */
async function concurrencyOneBounds(options: {
  sql: SqlBench;
  kine: Measurement;
  goKine: Measurement | undefined;
  go: Awaited<ReturnType<typeof goLoader>>;
}): Promise<string[]> {
  const { sql, kine, goKine, go } = options;
  log('the same Put row at concurrency 1 on a store over a SQLite file (the bound of the store’s own path)…');
  const server = await startStore({});
  try {
    const target: Target = {
      label: 'store on SQLite',
      client: connect(server.target),
      watchClient: connect(server.target),
    };
    const goRows = go.loader && goKine ? { loader: go.loader, kine: goKine } : undefined;
    const runs = {
      js: [] as Measurement[],
      go: [] as Measurement[],
      jsGet: [] as Measurement[],
      goGet: [] as Measurement[],
    };
    const commits: Measurement[] = [];
    for (let r = 0; r < sizes.rounds; r++) {
      const slice: Slice = { offset: r * sizes.putC1, count: sizes.putC1, maxMs: sizes.maxRowMs };
      runs.js.push(await putRow(target, 1, slice));
      runs.jsGet.push(await getC1Row(target, Math.max(1, runs.js[0]!.ops), slice));
      if (goRows) {
        const row = { concurrency: 1, total: sizes.putC1, maxMs: sizes.maxRowMs } as const;
        const prefix = `/registry/configmaps/bench-alone-r${r}/`;
        const goPut = await runGoRow(goRows.loader, { target: server.target }, { ...row, op: 'put', prefix });
        runs.go.push(goPut);
        // The loader's get walks key(0…total-1) under the prefix: the keys its put just wrote.
        runs.goGet.push(
          await runGoRow(
            goRows.loader,
            { target: server.target },
            { ...row, op: 'get', total: Math.max(1, goPut.ops), prefix },
          ),
        );
      }
      commits.push(await sql.commits(slice));
    }
    target.client.close();
    target.watchClient.close();
    const errors = (m: Measurement) => (m.errors > 0 ? `; ${m.errors} errors: ${m.firstError}` : '');
    const ops = (value: number) => Math.round(value).toLocaleString('en-US');
    // The best round, as every throughput row reports it, against kine's figure in the same run.
    const figure = (rounds: Measurement[], of: Measurement, client: string) => {
      const m = best(rounds);
      return `${ops(m.value)} ${client} (${(m.value / of.value).toFixed(2)}× kine${errors(m)})`;
    };
    const parts = [figure(runs.js, kine, 'ops/s with grpc-js')];
    if (goRows) parts.push(figure(runs.go, goRows.kine, 'with the Go client'));
    const bound = `Put, concurrency 1, on a store whose keys are in a SQLite file of its data dir (fsynced per commit, no database round trip), started for this note: ${parts.join(', ')}. A store on a database server pays its round trips on top of this path, so this bounds its concurrency-1 rows`;

    // Mean times per call (the inverse of the best round's rate), so that they add up to a rate.
    const msPer = (m: Measurement) => 1000 / m.value;
    const commit = best(commits);
    const ceiling = (get: Measurement, of: Measurement, client: string) => {
      const most = 1000 / (msPer(get) + msPer(commit));
      return `a Get ${msPer(get).toFixed(3)} ms${errors(get)} with ${client}, so at most ${ops(most)} Puts a second, ${(most / of.value).toFixed(2)}× kine`;
    };
    const ceilings = [ceiling(best(runs.jsGet), kine, 'grpc-js')];
    if (goRows) ceilings.push(ceiling(best(runs.goGet), goRows.kine, 'the Go client'));
    const floor = `The floor of concurrency 1 in this run: a Put costs at least a Get on that store (its gRPC round trip and the store's own work, no commit) plus one durable commit on ${sql.server}. A single-row INSERT committed on its own from this process's driver took ${msPer(commit).toFixed(3)} ms${errors(commit)} (${ops(commit.value)} a second); ${ceilings.join('; ')}. A store that answers each Put with one gRPC call and one commit cannot pass these figures, whatever it sends the database`;
    return [bound, floor];
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const info = machine(etcdBinary);
  log(`machine: ${machineLine(info)}`);
  const hint = olderEtcdHint(info.etcd);
  if (hint) log(`note: ${hint}`);
  if (backend !== 'sqlite') {
    const missing = sqlMissing(backend);
    if (missing) throw new Error(`--backend=${backend} needs the database server: ${missing}`);
  }
  const go = await goLoader();
  const goLine = go.loader
    ? `Go clientv3 rows: scripts/k8s/cmd/etcd-load on go.etcd.io/etcd/client/v3 ${clientV3Version()}, ${goVersion() ?? 'go version unknown'}`
    : undefined;
  const kine = backend === 'sqlite' ? undefined : await kineBinary();
  const servers: Array<{ stop(): Promise<void> }> = [];
  // In reverse: the store and kine stop before the database they use.
  const stopAll = async () => {
    for (const s of servers.splice(0).reverse()) await s.stop().catch(() => {});
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    let sql: SqlBench | undefined;
    if (backend !== 'sqlite') {
      log(`starting a private ${backend === 'postgres' ? 'PostgreSQL' : 'MariaDB'} (durable, loopback)…`);
      sql = await startSqlBench(backend);
      servers.push(sql);
      log(`${sql.server}: ${sql.durability}`);
    }
    log(`starting ${subjectName}, etcd${kine?.binary ? ' and kine' : ''} (durable, loopback)…`);
    // Settled, not Promise.all: when one fails to start, the other may already run and must be stopped too.
    const [subjectStart, etcdStart] = await Promise.allSettled([startSubject(sql), startEtcd({ binary: etcdBinary })]);
    if (subjectStart.status === 'fulfilled') servers.push(subjectStart.value.server);
    if (etcdStart.status === 'fulfilled') servers.push(etcdStart.value);
    if (subjectStart.status === 'rejected') throw subjectStart.reason;
    if (etcdStart.status === 'rejected') throw etcdStart.reason;
    const [subject, etcdServer] = [subjectStart.value, etcdStart.value];
    const kineServer = sql && kine?.binary ? await startKine(kine.binary, sql.kineEndpoint) : undefined;
    if (kineServer) servers.push(kineServer);

    const a = targetFor(subjectName, subject.server, subject.fsync);
    const b = targetFor('etcd', etcdServer, etcdFsyncs(etcdServer.endpoint));
    const columns: Column[] = [
      {
        target: a,
        go: subject.fsync ? { target: subject.server.target, fsync: subject.fsync } : { target: subject.server.target },
        tolerant: false,
      },
      { target: b, go: { target: etcdServer.target, fsync: etcdFsyncs(etcdServer.endpoint) }, tolerant: false },
    ];
    if (kineServer) {
      const target: Target = {
        label: 'kine',
        client: connect(kineServer.target),
        watchClient: connect(kineServer.target),
      };
      columns.push({ target, go: { target: kineServer.target }, tolerant: true });
    }
    const names = columns.map((c) => c.target.label);

    for (const c of columns)
      await (c.tolerant ? guarded(() => warmUp(c.target).then(() => ({}) as Measurement)) : warmUp(c.target));

    const results = new Map<RowId, Measurement[]>();
    /**
     * Runs `total` operations of a row on every server, split into rounds; round r
     * runs ops [offset, offset + count) and alternates the servers' order
     * (forwards, then backwards). The servers never run at the same time, so
     * they never compete for the CPU.
     */
    const rounds = async (
      total: number,
      row: (c: Column, slice: Slice, round: number) => Promise<Measurement>,
    ): Promise<Measurement[][]> => {
      const out = columns.map((): Measurement[] => []);
      for (let r = 0; r < sizes.rounds; r++) {
        const offset = Math.floor((r * total) / sizes.rounds);
        const slice: Slice = {
          offset,
          count: Math.floor(((r + 1) * total) / sizes.rounds) - offset,
          maxMs: sizes.maxRowMs,
        };
        const order = columns.map((_, i) => i);
        if (r % 2 === 1) order.reverse();
        for (const i of order) {
          const c = columns[i]!;
          out[i]!.push(await (c.tolerant ? guarded(() => row(c, slice, r)) : row(c, slice, r)));
        }
      }
      return out;
    };
    const record = (id: RowId, ms: Measurement[]) => {
      results.set(id, ms);
      log(`${id}: ${ms.map((m, i) => `${names[i]} ${summary(id, m)}`).join(', ')}`);
    };
    const throughput = async (
      id: RowId,
      total: number,
      row: (c: Column, slice: Slice, round: number) => Promise<Measurement>,
    ) => record(id, (await rounds(total, row)).map(best));

    await throughput('put-c1', sizes.putC1, (c, s) => putRow(c.target, 1, s));
    await throughput('put-c64', sizes.putC64, (c, s) => putRow(c.target, 64, s));
    const objects = new Map<Column, Objects>(columns.map((c) => [c, newObjects(sizes.objects)]));
    await throughput('create-c64', sizes.objects, (c, s) => createRow(c.target, objects.get(c)!, s));
    await throughput('update-c64', sizes.updates, (c, s) => updateRow(c.target, objects.get(c)!, s));
    await throughput('get-c64', sizes.gets, (c, s) => getRow(c.target, objects.get(c)!, s));
    {
      const rs = await rounds(sizes.listRuns, (c, s) => listRow(c.target, sizes.objects, s.count));
      record(
        'list-10k',
        rs.map((r) => pooled(r, 50)),
      );
    }
    {
      const rs = await rounds(sizes.watchEvents, (c, s) => watchRow(c.target, s));
      record(
        'watch-p50',
        rs.map((r) => pooled(r, 50)),
      );
      record(
        'watch-p99',
        rs.map((r) => pooled(r, 99)),
      );
      record(
        'watch-e2e-p50',
        rs.map((r) => pooled(r, 50, 'e2eSamples')),
      );
      record(
        'watch-e2e-p99',
        rs.map((r) => pooled(r, 99, 'e2eSamples')),
      );
    }

    // The throughput rows again, driven by the Go clientv3 loader (one process per round and server).
    // They run last so the grpc-js rows, list and watch see the same servers as before these rows existed.
    if (go.loader) {
      const loader = go.loader;
      const ns = (name: string) => `/registry/configmaps/${name}/`;
      const goPuts = (concurrency: number) => (c: Column, s: Slice, r: number) =>
        runGoRow(loader, c.go, {
          op: 'put',
          concurrency,
          total: s.count,
          prefix: ns(`bench-go-put-${concurrency}-r${r}`),
          maxMs: s.maxMs,
        });
      await throughput('go-put-c1', sizes.putC1, goPuts(1));
      await throughput('go-put-c64', sizes.putC64, goPuts(64));
      // The loader has no offset, so each create round makes its own set of new keys under
      // its own prefix; update and get round r then work on the keys create round r made.
      const created: number[] = [];
      const objectsPrefix = (r: number) => ns(`bench-go-objects-r${r}`);
      await throughput('go-create-c64', sizes.objects, (c, s, r) => {
        created[r] = s.count;
        // Not cut short (as the grpc-js create row): the update and get rows need every key.
        return runGoRow(loader, c.go, {
          op: 'create',
          concurrency: 64,
          total: s.count,
          keys: s.count,
          prefix: objectsPrefix(r),
          maxMs: 600_000,
        });
      });
      const reuse = (op: 'update' | 'get') => (c: Column, s: Slice, r: number) => {
        const from = r % created.length;
        return runGoRow(loader, c.go, {
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

    for (const c of columns) {
      c.target.client.close();
      c.target.watchClient.close();
    }

    // On a database server, the concurrency-1 rows measured against what the store's own path allows at all.
    const boundLines =
      sql && flags.subject === 'store' && results.get('put-c1')?.[2]
        ? await concurrencyOneBounds({
            sql,
            kine: results.get('put-c1')![2]!,
            goKine: results.get('go-put-c1')?.[2],
            go,
          })
        : [];

    // How big the store's WAL is once writes pause: the checkpointer should have brought it back down by then.
    const walLine =
      flags.subject === 'store' && !sql
        ? await settle(WAL_PAUSE_MS).then(() => walSizeLine(walSize(subject.server.dataDir), WAL_PAUSE_MS))
        : undefined;

    // Rows that did not run (the Go rows without Go) are left out of the table.
    const rows: RowResult[] = ROWS.flatMap((spec) => {
      const r = results.get(spec.id);
      if (!r) return [];
      return [r[2] ? { spec, subject: r[0]!, etcd: r[1]!, kine: r[2] } : { spec, subject: r[0]!, etcd: r[1]! }];
    });
    const cells = tableCells(rows, subjectName);
    const rowNotes = notes(rows, subjectName);
    if (flags.profile && flags.subject === 'store') {
      // node writes the profile when the store exits.
      await subject.server.stop();
      servers.splice(servers.indexOf(subject.server), 1);
      const file = mainThreadProfile(resolve(flags.profile));
      if (file) {
        const summary = summariseProfile(file, PROFILE_GROUPS);
        rowNotes.push(...profileLines(summary));
        log(`store CPU profile: ${file}`);
      } else rowNotes.push(`--profile: the store wrote no profile into ${flags.profile}`);
    }
    if (go.skipped) rowNotes.push(go.skipped);
    if (kine?.skipped) rowNotes.push(kine.skipped);
    if (walLine) rowNotes.push(walLine);
    rowNotes.push(...boundLines);
    const sizesLine = `sizes: ${sizes.putC1} puts at c=1, ${sizes.putC64} at c=64, ${sizes.objects} creates, ${sizes.updates} updates, ${sizes.gets} gets, ${sizes.listRuns} lists, ${sizes.watchEvents} watch events${go.loader ? ' (the Go clientv3 rows: the same counts of puts, creates, updates and gets)' : ''}; each split into ${sizes.rounds} rounds alternating which server goes first (throughput: best round; times: pooled)`;
    const backendLines = sql
      ? [
          `backend: the store on ${sql.server} (--main-endpoint: its default backend and its meta in one database)${kineServer ? `; kine ${kineVersion()} (${KINE_POOL.join(' ')}) on its own database of the same server` : ''}; etcd on its own data dir`,
          `durability: ${sql.durability}; etcd fsyncs its WAL before it acknowledges`,
        ]
      : sqliteThread
        ? [sqliteThreadLine(sqliteThread)]
        : [];
    console.log('');
    console.log(textTable(cells));
    console.log('');
    console.log(`machine: ${machineLine(info)}`);
    for (const l of backendLines) console.log(l);
    if (goLine) console.log(goLine);
    console.log(sizesLine);
    for (const n of rowNotes) console.log(`note: ${n}`);

    if (flags.json) {
      const json = rows.map((r) => ({
        id: r.spec.id,
        title: r.spec.title,
        unit: r.spec.unit,
        subject: r.subject,
        etcd: r.etcd,
        ...(r.kine ? { kine: r.kine } : {}),
      }));
      const strip = (m: Measurement) => ({ ...m, samples: undefined, e2eSamples: undefined });
      writeFileSync(
        flags.json,
        `${JSON.stringify(
          {
            backend,
            ...(sqliteThread ? { sqliteThread } : {}),
            columns: names,
            ...(sql ? { server: sql.server, durability: sql.durability } : {}),
            rows: json.map((r) => ({
              ...r,
              subject: strip(r.subject),
              etcd: strip(r.etcd),
              ...(r.kine ? { kine: strip(r.kine) } : {}),
            })),
            notes: rowNotes,
          },
          null,
          2,
        )}\n`,
      );
    }

    if (flags.write) {
      const on = sql
        ? ` (store and kine on ${sql.server})`
        : sqliteThread
          ? ` (store on a routed SQLite file, --sqlite-thread=${sqliteThread})`
          : '';
      const section = [
        `## ${info.date}${on}${flags.subject === 'etcd' ? ' (harness check: etcd against etcd)' : ''}${flags.quick || count !== undefined ? ' (quick run)' : ''}`,
        '',
        `- machine: ${info.cpu}, ${info.cores} cores, ${info.kernel}`,
        `- node ${info.node}, etcd ${info.etcd}, data dirs on ${info.filesystem}`,
        `- load average at start: ${info.load}`,
        `- commit ${info.commit}`,
        ...backendLines.map((l) => `- ${l}`),
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
