/**
 * The scale run's load, shaped like the public "six kinds, create and read
 * back by label" benchmark: each virtual user loops; one iteration creates one
 * object of each of the six kinds under one name, then reads each kind back
 * with `?labelSelector=name=<name>` and checks that exactly that object comes
 * back. Every request is one check. Besides that shape, the last iteration of
 * each ten to finish reads each kind with `?labelSelector=batch=<n>` and
 * checks that exactly the ten objects of those iterations come back (fewer if
 * a create failed): a LIST of ten. Those reads are kept apart (`batchReads`),
 * so the score and the all-requests percentiles stay those of the public
 * shape. The run stops at a target object count,
 * at a time limit, or when the stack runs out (a sustained wall of failures,
 * or a process gone), whichever comes first, and says which.
 */
import type { KubeClient } from '@cnpaas/kube';
import { BATCH_SIZE, batchOf, collectionPath, KINDS, object, type ScaleKind } from './kinds.js';

export interface ScaleLoadOptions {
  /** Objects to create in all (spread evenly over the six kinds). */
  objects: number;
  durationMs: number;
  /** Virtual users, each with one iteration in flight. */
  concurrency: number;
  /** Called every few seconds with progress; also where the resource samples are taken. */
  onTick: (progress: Progress) => void;
  /** True while the stack's processes are alive. */
  alive: () => boolean;
  log: (line: string) => void;
}

export interface Progress {
  elapsedMs: number;
  created: number;
  checks: number;
  failed: number;
}

/** Latencies in ms, kept compactly: 2 M requests fit in 16 MB. */
export class Samples {
  #buf = new Float64Array(1 << 16);
  #n = 0;
  push(ms: number): void {
    if (this.#n === this.#buf.length) {
      const next = new Float64Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.#n++] = ms;
  }
  get length(): number {
    return this.#n;
  }
  /** Sorted copy of the samples from `from` on. */
  sorted(from = 0): Float64Array {
    return this.#buf.slice(from, this.#n).sort();
  }
}

export interface ScaleLoadResult {
  wallMs: number;
  /** Objects the apiserver answered 201 for. */
  created: number;
  checks: number;
  failed: number;
  creates: Samples;
  reads: Samples;
  /** The reads of ten by `batch=<n>`; their checks and failures are not in `checks` and `failed`. */
  batchReads: Samples;
  batchChecks: number;
  batchFailed: number;
  /** Why the run ended: 'objects', 'time' or what ran out. */
  stop: string;
  /** The first few distinct failure messages, with how often each came. */
  failures: Map<string, number>;
}

/** After this many failed checks in a row the stack is taken to have run out. */
const WALL_OF_FAILURES = 500;

function describe(status: number, body: Buffer): string {
  try {
    const { message } = JSON.parse(body.toString('utf8')) as { message?: unknown };
    if (typeof message !== 'string') return `HTTP ${status}`;
    return `HTTP ${status}: ${message.replace(/[0-9a-f]{8,}|\d+/g, 'N').slice(0, 160)}`;
  } catch {
    return `HTTP ${status}`;
  }
}

export async function runScaleLoad(http: KubeClient, options: ScaleLoadOptions): Promise<ScaleLoadResult> {
  const creates = new Samples();
  const reads = new Samples();
  const batchReads = new Samples();
  const failures = new Map<string, number>();
  /** Per batch not yet read: its iterations finished, and per kind the names created. */
  const batches = new Map<number, { finished: number; created: Map<string, Set<string>> }>();
  let batchChecks = 0;
  let batchFailed = 0;
  const iterations = Math.ceil(options.objects / KINDS.length);
  let nextIteration = 0;
  let created = 0;
  let checks = 0;
  let failed = 0;
  let inARow = 0;
  let stop = '';
  const start = performance.now();
  const deadline = start + options.durationMs;

  /** A failed check; one of the reads of ten counts apart from the public shape's. */
  const fail = (why: string, ofTen = false) => {
    if (ofTen) batchFailed += 1;
    else failed += 1;
    inARow += 1;
    if (failures.size < 8 || failures.has(why)) failures.set(why, (failures.get(why) ?? 0) + 1);
    if (inARow >= WALL_OF_FAILURES && !stop) stop = `ran out: ${inARow} failed checks in a row (first kind: ${why})`;
  };
  const pass = () => {
    inARow = 0;
  };

  const batchAt = (b: number) => {
    let batch = batches.get(b);
    if (!batch) {
      batch = { finished: 0, created: new Map(KINDS.map((k) => [k.plural, new Set<string>()])) };
      batches.set(b, batch);
    }
    return batch;
  };

  /**
   * One read by label selector, a check that passes when exactly the names of `expected` come back.
   * A read of ten counts apart from the public shape's reads (`batchReads`, `batchChecks`, `batchFailed`).
   */
  const readByLabel = async (
    k: ScaleKind,
    { selector, expected, ofTen }: { selector: string; expected: ReadonlySet<string>; ofTen: boolean },
  ) => {
    const what = ofTen ? 'read of ten' : 'read';
    const t0 = performance.now();
    if (ofTen) batchChecks += 1;
    else checks += 1;
    try {
      const res = await http.raw('GET', `${collectionPath(k)}?labelSelector=${encodeURIComponent(selector)}`);
      (ofTen ? batchReads : reads).push(performance.now() - t0);
      if (res.status !== 200) {
        fail(`${what}: ${describe(res.status, res.body)}`, ofTen);
        return;
      }
      const list = JSON.parse(res.body.toString('utf8')) as { items: { metadata: { name: string } }[] };
      const names = list.items.map((o) => o.metadata.name);
      if (names.length === expected.size && names.every((n) => expected.has(n))) pass();
      else
        fail(
          `${what}: ${names.length} items for the selector, expected ${ofTen ? `the ${expected.size} of the batch` : 'exactly the one created'}`,
          ofTen,
        );
    } catch (err) {
      fail(`${what}: ${(err as Error).message.slice(0, 160)}`, ofTen);
    }
  };

  const iteration = async (i: number) => {
    const name = `o-${i.toString(36).padStart(5, '0')}`;
    const b = batchOf(i);
    const batch = batchAt(b);
    for (const k of KINDS) {
      if (created >= options.objects) break;
      const t0 = performance.now();
      checks += 1;
      try {
        const res = await http.raw('POST', collectionPath(k), { body: object(k, name, i) });
        creates.push(performance.now() - t0);
        if (res.status === 201) {
          created += 1;
          batch.created.get(k.plural)!.add(name);
          pass();
        } else fail(`create: ${describe(res.status, res.body)}`);
      } catch (err) {
        fail(`create: ${(err as Error).message.slice(0, 160)}`);
      }
    }
    for (const k of KINDS) await readByLabel(k, { selector: `name=${name}`, expected: new Set([name]), ofTen: false });
    // The last of the ten to finish reads them (a batch cut short by the end of the run is not read).
    batch.finished += 1;
    if (batch.finished === BATCH_SIZE) {
      batches.delete(b);
      // A LIST of ten: every kind by the batch's label, once all ten of its iterations are done.
      for (const k of KINDS)
        await readByLabel(k, { selector: `batch=${b}`, expected: batch.created.get(k.plural)!, ofTen: true });
    }
  };

  const tick = setInterval(() => {
    options.onTick({ elapsedMs: performance.now() - start, created, checks, failed });
    if (!options.alive() && !stop) stop = 'ran out: a process of the stack exited';
  }, 5_000);
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (!stop) {
          if (nextIteration >= iterations || created >= options.objects) {
            stop ||= 'objects';
            break;
          }
          if (performance.now() >= deadline) {
            stop ||= 'time';
            break;
          }
          await iteration(nextIteration++);
        }
      }),
    );
  } finally {
    clearInterval(tick);
  }
  options.onTick({ elapsedMs: performance.now() - start, created, checks, failed });
  return {
    wallMs: performance.now() - start,
    created,
    checks,
    failed,
    creates,
    reads,
    batchReads,
    batchChecks,
    batchFailed,
    stop,
    failures,
  };
}
