/**
 * Op-by-op differential: the same seeded sequence of etcd v3 RPCs goes to a
 * real etcd 3.4.23 (the oracle) and to cnpaas-store, one operation at a time,
 * and the normalised answers must be identical, revisions and errors
 * included; every watcher's events must match event for event.
 *
 * Environment:
 * - CNPAAS_DIFF_SELF=1      etcd against a second etcd: proves the harness itself;
 * - CNPAAS_DIFF_SEED=N      replay one seed (`random` picks one and prints it);
 * - CNPAAS_DIFF_OPS=N       operations per seed;
 * - CNPAAS_DIFF_TOPOLOGY    single | routed | both (default both);
 * - CNPAAS_DIFF_TRACE=FILE  write every op and both outcomes to FILE (one run per file: seed appended);
 * - CNPAAS_DIFF_BACKEND     sqlite (default) | postgres | mariadb: where the store's routed keys live;
 *                           sqlite-worker: in SQLite files whose statements run on a worker thread
 *                           (`sqlite://file.db?thread=worker`), laid out as on a network database;
 *                           replicas (replicas-mariadb): two stores on one PostgreSQL (MariaDB)
 *                           database (--main-endpoint, docs/replicas.md), requests to one and
 *                           watches on the other;
 * - CNPAAS_LONG=1           100k operations in total.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prefixTopology } from '../../src/mvcc/test-helpers.js';
import { startEtcd, startStore, type ServerHandle } from '../support/processes.js';
import { SQL_SERVERS, type SqlServer, type SqlServerHandle } from '../support/sql-servers.js';
import { Generator, type Op } from './generator.js';
import { describe as describeOp, stable, type NEvent } from './normalize.js';
import { execute, Session, type WatcherRecord } from './run.js';

const SELF = process.env.CNPAAS_DIFF_SELF === '1';
const LONG = process.env.CNPAAS_LONG === '1';
/** Both servers send per-watcher progress this often; the harness's sync barrier waits for one. */
const PROGRESS_MS = 50;
/** After this many mismatches a run stops: later ones are mostly echoes of the first. */
const MAX_MISMATCHES = 25;
const SUBJECT = SELF ? 'etcd-2' : 'cnpaas-store';
/** Which database the store's routed backends are in; main.db and meta.db are always SQLite. */
const BACKEND = process.env.CNPAAS_DIFF_BACKEND ?? 'sqlite';
const NETWORK: Record<string, string> = {
  postgres: 'postgres',
  mariadb: 'mysql',
  replicas: 'postgres',
  'replicas-mariadb': 'mysql',
};
/** SQLite files on worker threads: the network layout (below), each backend a file of its own. */
const SQLITE_WORKER = BACKEND === 'sqlite-worker';
if (BACKEND !== 'sqlite' && !SQLITE_WORKER && !(BACKEND in NETWORK))
  throw new Error(
    `CNPAAS_DIFF_BACKEND must be sqlite, sqlite-worker, postgres, mariadb, replicas or replicas-mariadb, got ${BACKEND}`,
  );
const REPLICAS = BACKEND.startsWith('replicas') && !SELF;
const SQL_SERVER: SqlServer | undefined = SQL_SERVERS.find((s) => s.dialect.name === NETWORK[BACKEND]);
const SQL_MISSING = SQL_SERVER?.missing();
/** Names the database in test names and reports when it is not SQLite. */
const ON =
  BACKEND === 'sqlite' || SELF
    ? ''
    : SQLITE_WORKER
      ? ' on SQLite worker threads'
      : REPLICAS
        ? ` as two replicas on ${SQL_SERVER!.name}`
        : ` on ${SQL_SERVER!.name}`;
if (SQL_MISSING) console.warn(`skipping the differential runs on ${BACKEND}: ${SQL_MISSING}`);

/**
 * Routed run: `/a/` and `/b/` each get a SQLite file, `/c/` and the edge keys
 * fall to the default backend. A prefix starting with `/` is an absolute key
 * prefix (not one after `/registry/`).
 */
const TOPOLOGY = prefixTopology({ alpha: '/a/', beta: '/b/' });

/**
 * The topology on a network database (CNPAAS_DIFF_BACKEND): routed, `/a/`
 * and `/b/` each get a database of their own; single, every key starting
 * with `/` goes to one database (the edge keys `compact_rev_key`, `\x00`,
 * `\xff…` stay in main.db, which is always SQLite).
 */
async function networkTopology(run: Run, sql: SqlServerHandle): Promise<string> {
  let text = 'backends:\n';
  for (const [name, prefix] of layout(run)) {
    await sql.createDatabase(`diff_${name}`);
    text += `  - name: ${name}\n    endpoint: "${sql.url(`diff_${name}`)}"\n    prefix: { prefix: "${prefix}" }\n`;
  }
  return text;
}

/** The same layout with each backend a SQLite file on a worker thread of its own (CNPAAS_DIFF_BACKEND=sqlite-worker). */
function workerTopology(run: Run): string {
  let text = 'backends:\n';
  for (const [name, prefix] of layout(run)) {
    text += `  - name: ${name}\n    endpoint: "sqlite://diff_${name}.db?thread=worker"\n    prefix: { prefix: "${prefix}" }\n`;
  }
  return text;
}

function layout(run: Run): Array<[name: string, prefix: string]> {
  return run.routed
    ? [
        ['alpha', '/a/'],
        ['beta', '/b/'],
      ]
    : [['all', '/']];
}

interface Run {
  seed: number;
  ops: number;
  routed: boolean;
}

function parseSeed(text: string): number {
  if (text === 'random') return Math.floor(Math.random() * 2 ** 31);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`CNPAAS_DIFF_SEED must be a non-negative integer or "random", got ${text}`);
  return n >>> 0;
}

function plan(): Run[] {
  const opsEnv = process.env.CNPAAS_DIFF_OPS;
  const ops = opsEnv ? Number(opsEnv) : undefined;
  if (ops !== undefined && !(Number.isSafeInteger(ops) && ops > 0))
    throw new Error(`CNPAAS_DIFF_OPS must be a positive integer, got ${opsEnv}`);
  const topology = process.env.CNPAAS_DIFF_TOPOLOGY ?? 'both';
  const wanted = (routed: boolean) =>
    !(routed && SELF) && (topology === 'both' || topology === (routed ? 'routed' : 'single'));
  let runs: Run[];
  if (process.env.CNPAAS_DIFF_SEED) {
    const seed = parseSeed(process.env.CNPAAS_DIFF_SEED);
    runs = [false, true].map((routed) => ({ seed, ops: ops ?? 2500, routed }));
  } else if (LONG) {
    // 100k in total: 8 seeds single-backend, 2 routed.
    runs = [
      ...[11, 12, 13, 14, 15, 16, 17, 18].map((seed) => ({ seed, ops: ops ?? 10_000, routed: false })),
      ...[19, 20].map((seed) => ({ seed, ops: ops ?? 10_000, routed: true })),
    ];
  } else {
    // CI: 10k single-backend in four seeds, plus 5k routed.
    runs = [
      ...[1, 2, 3, 4].map((seed) => ({ seed, ops: ops ?? 2500, routed: false })),
      ...[5, 6].map((seed) => ({ seed, ops: ops ?? 2500, routed: true })),
    ];
  }
  return runs.filter((r) => wanted(r.routed));
}

interface Mismatch {
  where: string;
  op?: string;
  oracle: unknown;
  subject: unknown;
  context?: string[];
}

interface RunReport {
  mismatches: Mismatch[];
  executed: number;
  watchers: number;
  events: number;
  skippedEvents: number;
  ms: number;
  /** The subject's recent log output, kept when something did not match. */
  subjectOutput: string;
}

const show = (o: unknown) => stable(o);

function compareWatchers(a: WatcherRecord, b: WatcherRecord | undefined, out: Mismatch[], report: RunReport): void {
  const label = `watcher ${a.label} ${describeOp(a.request)}`;
  if (!b) {
    out.push({ where: label, oracle: 'present', subject: 'missing' });
    return;
  }
  if (show(a.created) !== show(b.created))
    out.push({ where: `${label}: Created`, oracle: a.created, subject: b.created });
  if (show(a.canceled) !== show(b.canceled))
    out.push({ where: `${label}: Canceled`, oracle: a.canceled, subject: b.canceled });
  // A watch opened exactly at the compact revision: the store keeps the rows
  // written at that revision and delivers their events (etcd 3.6, fixing
  // etcd#19179 and #18089); etcd 3.4.23 loses deletes there and has no prev_kv.
  const start = a.request.start_revision;
  const skip = (e: NEvent) => a.atCompactRevision && e.kv?.mod_revision === start;
  const ea = a.events.filter((e) => !skip(e));
  const eb = b.events.filter((e) => !skip(e));
  report.skippedEvents += a.events.length - ea.length;
  report.events += ea.length;
  const n = Math.max(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    if (show(ea[i]) !== show(eb[i])) {
      out.push({
        where: `${label}: event ${i} of ${ea.length} (${SUBJECT} has ${eb.length})`,
        oracle: ea.slice(Math.max(0, i - 1), i + 3),
        subject: eb.slice(Math.max(0, i - 1), i + 3),
      });
      return;
    }
  }
}

async function runDifferential(run: Run): Promise<RunReport> {
  const startedAt = Date.now();
  const report: RunReport = {
    mismatches: [],
    executed: 0,
    watchers: 0,
    events: 0,
    skippedEvents: 0,
    ms: 0,
    subjectOutput: '',
  };
  const servers: ServerHandle[] = [];
  const sessions: Session[] = [];
  let sql: SqlServerHandle | undefined;
  try {
    if (SQL_SERVER && !SELF) sql = await SQL_SERVER.start();
    let subjectStart: () => Promise<ServerHandle>;
    if (SELF) subjectStart = () => startEtcd({ progressIntervalMs: PROGRESS_MS });
    else if (REPLICAS) {
      await sql!.createDatabase('diff_shared');
      const args = [`--main-endpoint=${sql!.url('diff_shared')}`];
      // Routed: `/a/` and `/b/` in databases of their own beside the shared main one, the same file for both.
      const topology = run.routed ? await networkTopology(run, sql!) : undefined;
      subjectStart = () =>
        startStore({ progressIntervalMs: PROGRESS_MS, extraArgs: args, ...(topology ? { topology } : {}) });
    } else {
      const topology = sql
        ? await networkTopology(run, sql)
        : SQLITE_WORKER
          ? workerTopology(run)
          : run.routed
            ? TOPOLOGY
            : undefined;
      subjectStart = () => startStore({ progressIntervalMs: PROGRESS_MS, ...(topology ? { topology } : {}) });
    }
    const started = await Promise.allSettled([
      startEtcd({ progressIntervalMs: PROGRESS_MS }),
      subjectStart(),
      ...(REPLICAS ? [subjectStart()] : []),
    ]);
    // Keep whichever started, so `finally` stops it even when the other failed.
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [etcd, subject, watched] = servers as [ServerHandle, ServerHandle, ServerHandle | undefined];
    const a = new Session('etcd', etcd.target);
    const b = new Session(SUBJECT, subject.target, watched?.target);
    sessions.push(a, b);
    const gen = new Generator(run.seed);
    const recent: string[] = [];
    const trace = process.env.CNPAAS_DIFF_TRACE
      ? `${process.env.CNPAAS_DIFF_TRACE}.${run.seed}${run.routed ? '.routed' : ''}`
      : null;
    if (trace) writeFileSync(trace, '');

    for (let i = 0; i < run.ops && report.mismatches.length < MAX_MISMATCHES; i++) {
      const op: Op = gen.next();
      const t0 = performance.now();
      const [oa, ob] = await Promise.all([execute(a, op), execute(b, op)]);
      const took = performance.now() - t0;
      report.executed++;
      if ('error' in oa && oa.error.code === 'HARNESS') {
        throw new Error(`the oracle failed on op #${i} ${describeOp(op)}: ${oa.error.details}\n${etcd.output()}`);
      }
      gen.observe(op, oa);
      const line = `#${i} ${describeOp(op)} -> ${show(oa)}`;
      if (trace)
        appendFileSync(
          trace,
          `${line} (${took.toFixed(1)} ms)\n${show(oa) === show(ob) ? '' : `  ${SUBJECT}: ${show(ob)}\n`}`,
        );
      // RequestProgress answers are not compared (etcd#15220); the op only exercises the path.
      if (op.kind !== 'watchProgress' && show(oa) !== show(ob)) {
        const where = `op #${i} (${op.kind}${op.kind === 'txn' ? ` ${op.shape}` : ''})`;
        report.mismatches.push({ where, op: describeOp(op), oracle: oa, subject: ob, context: [...recent] });
      }
      recent.push(line.length > 600 ? `${line.slice(0, 600)}…` : line);
      if (recent.length > 6) recent.shift();
    }

    // Every watcher must have all its events before the lists are compared.
    const synced = await Promise.allSettled([a.watch.sync(a.revision), b.watch.sync(b.revision)]);
    synced.forEach((s, i) => {
      if (s.status === 'rejected') {
        report.mismatches.push({
          where: `final watch sync on ${i === 0 ? 'etcd' : SUBJECT}`,
          oracle: 'synced',
          subject: String(s.reason),
        });
      }
    });
    for (const w of a.watch.watchers.values()) {
      report.watchers++;
      compareWatchers(w, b.watch.watchers.get(w.label), report.mismatches, report);
    }
    if (show(a.watch.unattributed) !== show(b.watch.unattributed)) {
      report.mismatches.push({
        where: 'watch responses for no live watcher',
        oracle: a.watch.unattributed,
        subject: b.watch.unattributed,
      });
    }
    if (report.mismatches.length > 0) report.subjectOutput = subject.output() + (watched?.output() ?? '');
  } finally {
    for (const s of sessions) s.close();
    await Promise.all(servers.map((s) => s.stop()));
    await sql?.stop();
  }
  report.ms = Date.now() - startedAt;
  return report;
}

function replay(run: Run): string {
  const topology = run.routed ? 'routed' : 'single';
  const backend = BACKEND === 'sqlite' ? '' : ` CNPAAS_DIFF_BACKEND=${BACKEND}`;
  return `CNPAAS_DIFF_SEED=${run.seed} CNPAAS_DIFF_OPS=${run.ops} CNPAAS_DIFF_TOPOLOGY=${topology}${backend}${SELF ? ' CNPAAS_DIFF_SELF=1' : ''} npx vitest run test/differential`;
}

function formatMismatches(run: Run, report: RunReport): string {
  const lines = [
    `differential seed ${run.seed} (${run.routed ? 'routed, 3 backends' : 'single backend'}${ON}): ` +
      `${report.mismatches.length}${report.mismatches.length >= MAX_MISMATCHES ? '+' : ''} mismatch(es) between etcd 3.4.23 and ${SUBJECT}`,
    `replay: ${replay(run)}`,
  ];
  for (const m of report.mismatches.slice(0, 10)) {
    lines.push('', `* ${m.where}`);
    if (m.op) lines.push(`  op:      ${m.op}`);
    lines.push(`  etcd:    ${show(m.oracle)}`, `  ${SUBJECT.padEnd(8)} ${show(m.subject)}`);
    if (m.context?.length) lines.push('  before (etcd):', ...m.context.map((c) => `    ${c}`));
  }
  if (report.subjectOutput.trim()) lines.push('', `${SUBJECT} output (tail):`, report.subjectOutput.slice(-3000));
  return lines.join('\n');
}

const runs = plan();

describe.skipIf(SQL_MISSING !== undefined)(`differential: etcd 3.4.23 vs ${SUBJECT}${ON}`, () => {
  for (const run of runs) {
    const name = `seed ${run.seed}, ${run.ops} ops, ${run.routed ? 'routed over 3 backends' : 'single backend'}`;
    it(name, { timeout: 60_000 + run.ops * 25 }, async () => {
      const report = await runDifferential(run);
      console.log(
        `[differential] ${name}: ${report.executed} ops, ${report.watchers} watchers, ${report.events} events compared` +
          `${report.skippedEvents ? `, ${report.skippedEvents} skipped (etcd#19179)` : ''}, ${report.mismatches.length} mismatches, ${report.ms} ms`,
      );
      if (report.mismatches.length > 0) {
        const text = formatMismatches(run, report);
        console.error(text);
        // The first mismatch is the one to fix: the ones after it are often its echoes.
        const first = report.mismatches[0]!;
        expect.fail(
          [
            `${report.mismatches.length} mismatch(es), first at ${first.where}`,
            `  op: ${first.op ?? '-'}`,
            `  etcd: ${show(first.oracle).slice(0, 1500)}`,
            `  ${SUBJECT}: ${show(first.subject).slice(0, 1500)}`,
            `(full report above; replay: ${replay(run)})`,
          ].join('\n'),
        );
      }
    });
  }

  // Known differences where the store follows etcd 3.6 (docs/design.md "Oracles").
  // They are generated and run, and left out of the comparison, by name.
  it.skip('events at the compact revision for a watch opened exactly there (etcd#19179, etcd#18089): store follows etcd 3.6', () => {});
  it.skip('RequestProgress answer ordering (etcd#15220): store follows etcd 3.5.13+', () => {});
  it.skip('progress notification timing and response grouping: not part of the etcd API contract', () => {});
});
