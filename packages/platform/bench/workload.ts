/**
 * The workload, through kube-apiserver over HTTPS with the admin client
 * certificate: create N ConfigMaps (~1 KiB of data each) in one namespace,
 * LIST them (whole and in pages of 500), update each (merge PATCH with a new
 * ~1 KiB value) and delete each. Writes run at a fixed concurrency; every
 * request is timed from send to its last byte.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { share, snapshot, type CpuShare } from './cpu.js';
import type { KubeClient } from '@cnpaas/kube';
import { delta, type Samples } from './metrics.js';

export const NAMESPACE = 'bench';

export interface WorkloadOptions {
  count: number;
  concurrency: number;
  /** Full LISTs (the figure is their median). */
  listRuns: number;
  /** Paginated LISTs (limit=500; the figure is the median of their totals). */
  pagedRuns: number;
  /** A phase stops starting requests after this long; the figure then covers what ran. */
  phaseMaxMs: number;
  log: (line: string) => void;
}

export type PhaseId = 'create' | 'list' | 'list-paged' | 'update' | 'delete';

export interface PhaseResult {
  id: PhaseId;
  /** Requests that answered as expected. */
  ok: number;
  errors: number;
  firstError?: string;
  wallMs: number;
  /** Per request (writes) or per run (lists), ms. */
  samples: number[];
  cpu: CpuShare;
  /** Monotonic µs (the clock V8's profiler stamps samples with), to cut a CPU profile to this phase. */
  windowUs: [number, number];
  /** Counter deltas over the phase. */
  counters: Counters;
  note?: string;
}

export interface Pids {
  datastore: number | null;
  apiserver: number | null;
}

/** What the phases read around their timed part. */
export interface Probe {
  pids(): Pids;
  counters(): Promise<Counters>;
}

export interface Counters {
  /** The apiserver's storage calls (`<operation> count|sum`). */
  storage: Samples;
  /** The datastore's fsyncs (and the store's commit batches). */
  datastore: Samples;
}

function counterDelta(a: Counters, b: Counters): Counters {
  return { storage: delta(a.storage, b.storage), datastore: delta(a.datastore, b.datastore) };
}

const monoUs = () => Number(process.hrtime.bigint() / 1000n);
const name = (i: number) => `cm-${String(i).padStart(5, '0')}`;
/** ~1 KiB of incompressible text (768 random bytes in base64). */
const payload = () => randomBytes(768).toString('base64');

/** The p-th percentile (0–100) of sorted samples, nearest rank; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

function describe(status: number, body: Buffer): string {
  const text = body.toString('utf8');
  try {
    return `HTTP ${status}: ${String(JSON.parse(text).message ?? text).slice(0, 200)}`;
  } catch {
    return `HTTP ${status}: ${text.slice(0, 200)}`;
  }
}

/** Runs op(0..count-1) with `concurrency` workers, timing each request. */
async function pool(
  id: PhaseId,
  options: WorkloadOptions,
  probe: Probe,
  op: (i: number) => Promise<{ status: number; body: Buffer }>,
): Promise<PhaseResult> {
  const samples: number[] = [];
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const countersBefore = await probe.counters();
  const before = snapshot(probe.pids());
  const startUs = monoUs();
  const start = performance.now();
  const deadline = start + options.phaseMaxMs;
  let lastReport = start;
  const worker = async () => {
    while (next < options.count && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        const res = await op(i);
        if (res.status >= 200 && res.status < 300) {
          ok += 1;
          samples.push(performance.now() - t0);
        } else {
          errors += 1;
          firstError ??= describe(res.status, res.body);
        }
      } catch (err) {
        errors += 1;
        firstError ??= (err as Error).message;
      }
      const now = performance.now();
      if (now - lastReport > 5_000) {
        lastReport = now;
        options.log(
          `    ${id}: ${ok + errors}/${options.count} (${Math.round(((ok + errors) * 1000) / (now - start))}/s)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const wallMs = performance.now() - start;
  const cpu = share(before, snapshot(probe.pids()));
  const windowUs: [number, number] = [startUs, monoUs()];
  const counters = counterDelta(countersBefore, await probe.counters());
  const result: PhaseResult = {
    id,
    ok,
    errors,
    wallMs,
    samples: samples.sort((a, b) => a - b),
    cpu,
    windowUs,
    counters,
  };
  if (firstError !== undefined) result.firstError = firstError;
  if (ok + errors < options.count)
    result.note = `cut short after ${Math.round(options.phaseMaxMs / 1000)} s: ${ok + errors} of ${options.count} requests`;
  return result;
}

/** Namespace, then a warm-up that opens every keep-alive socket and exercises each verb once per worker. */
export async function prepare(http: KubeClient, options: WorkloadOptions): Promise<void> {
  for (const ns of [NAMESPACE, `${NAMESPACE}-warmup`]) {
    const res = await http.raw('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    });
    if (res.status !== 201) throw new Error(`creating namespace ${ns}: ${describe(res.status, res.body)}`);
  }
  // The namespace lifecycle admission plugin reads namespaces from an informer: wait until it knows ours.
  const probe = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' }, data: { v: '1' } };
  for (let attempt = 0; ; attempt++) {
    const res = await http.raw('POST', `/api/v1/namespaces/${NAMESPACE}/configmaps`, { body: probe });
    if (res.status === 201) break;
    if (attempt > 50) throw new Error(`creating a ConfigMap in ${NAMESPACE}: ${describe(res.status, res.body)}`);
    await sleep(200);
  }
  const del = await http.raw('DELETE', `/api/v1/namespaces/${NAMESPACE}/configmaps/probe`);
  if (del.status !== 200) throw new Error(`deleting the probe ConfigMap: ${describe(del.status, del.body)}`);
  const base = `/api/v1/namespaces/${NAMESPACE}-warmup/configmaps`;
  const n = options.concurrency * 4;
  const each = async (verb: (i: number) => Promise<{ status: number; body: Buffer }>) => {
    let i = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (i < n) {
          const res = await verb(i++);
          if (res.status < 200 || res.status >= 300) throw new Error(`warm-up: ${describe(res.status, res.body)}`);
        }
      }),
    );
  };
  await each((i) =>
    http.raw('POST', base, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: name(i) }, data: { payload: payload() } },
    }),
  );
  await each((i) => http.raw('PATCH', `${base}/${name(i)}`, { body: { data: { payload: payload() } } }));
  await each(() => http.raw('GET', `${base}?limit=50`));
  await each((i) => http.raw('DELETE', `${base}/${name(i)}`));
}

async function lists(
  id: 'list' | 'list-paged',
  runs: number,
  expected: number,
  options: WorkloadOptions,
  probe: Probe,
  http: KubeClient,
): Promise<PhaseResult> {
  const samples: number[] = [];
  let mismatch = '';
  const countersBefore = await probe.counters();
  const before = snapshot(probe.pids());
  const startUs = monoUs();
  const start = performance.now();
  let note = '';
  for (let r = 0; r < runs; r++) {
    let total = 0;
    let items = 0;
    let pages = 0;
    let cont: string | undefined;
    do {
      const query = id === 'list' ? '' : `?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
      const t0 = performance.now();
      const res = await http.raw('GET', `/api/v1/namespaces/${NAMESPACE}/configmaps${query}`, { timeoutMs: 120_000 });
      // Timed to the last byte; the client's JSON.parse is not the server's time.
      total += performance.now() - t0;
      if (res.status !== 200) throw new Error(`${id}: ${describe(res.status, res.body)}`);
      const list = JSON.parse(res.body.toString('utf8')) as { items: unknown[]; metadata: { continue?: string } };
      items += list.items.length;
      pages += 1;
      cont = id === 'list-paged' ? list.metadata.continue || undefined : undefined;
      if (r === 0 && pages === 1)
        note = `${(res.body.length / 1e6).toFixed(1)} MB per ${id === 'list' ? 'LIST' : 'page'}`;
    } while (cont);
    if (items !== expected) mismatch = `; run ${r + 1} saw ${items} items, expected ${expected}`;
    samples.push(total);
    options.log(`    ${id} run ${r + 1}/${runs}: ${items} items in ${pages} page(s), ${total.toFixed(0)} ms`);
  }
  const wallMs = performance.now() - start;
  const cpu = share(before, snapshot(probe.pids()));
  const windowUs: [number, number] = [startUs, monoUs()];
  const counters = counterDelta(countersBefore, await probe.counters());
  return {
    id,
    ok: runs,
    errors: 0,
    wallMs,
    samples: samples.sort((a, b) => a - b),
    cpu,
    windowUs,
    counters,
    note: `${note}; median of ${runs} runs${mismatch}`,
  };
}

export const PHASES: PhaseId[] = ['create', 'list', 'list-paged', 'update', 'delete'];

/**
 * Runs one phase against one stack, logging it. `done` holds the stack's
 * earlier phases (the LISTs expect as many items as the create made).
 */
export async function runPhase(
  id: PhaseId,
  who: string,
  http: KubeClient,
  options: WorkloadOptions,
  probe: Probe,
  done: PhaseResult[],
): Promise<PhaseResult> {
  const base = `/api/v1/namespaces/${NAMESPACE}/configmaps`;
  const created = done.find((r) => r.id === 'create')?.ok ?? options.count;
  const label = {
    create: `create ${options.count} at c=${options.concurrency}`,
    list: `LIST all ×${options.listRuns}`,
    'list-paged': `LIST limit=500 ×${options.pagedRuns}`,
    update: `update ${options.count} at c=${options.concurrency}`,
    delete: `delete ${options.count} at c=${options.concurrency}`,
  }[id];
  options.log(`${who}: ${label}…`);
  const r = await {
    create: () =>
      pool('create', options, probe, (i) =>
        http.raw('POST', base, {
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: name(i), labels: { bench: 'true' } },
            data: { payload: payload() },
          },
        }),
      ),
    list: () => lists('list', options.listRuns, created, options, probe, http),
    'list-paged': () => lists('list-paged', options.pagedRuns, created, options, probe, http),
    update: () =>
      pool('update', options, probe, (i) =>
        http.raw('PATCH', `${base}/${name(i)}`, { body: { data: { payload: payload() } } }),
      ),
    delete: () => pool('delete', options, probe, (i) => http.raw('DELETE', `${base}/${name(i)}`)),
  }[id]();
  const rate = id.startsWith('list')
    ? `median ${percentile(r.samples, 50).toFixed(0)} ms`
    : `${Math.round((r.ok * 1000) / r.wallMs)} ops/s, p50 ${percentile(r.samples, 50).toFixed(1)} ms, p99 ${percentile(r.samples, 99).toFixed(1)} ms`;
  options.log(
    `${who}: ${label}: ${rate}${r.errors ? `, ${r.errors} errors (first: ${r.firstError})` : ''} (other processes: ${r.cpu.others?.toFixed(2) ?? '?'} cores: ${r.cpu.topOthers.join(', ')})`,
  );
  return r;
}
