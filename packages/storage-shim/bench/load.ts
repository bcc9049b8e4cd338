/**
 * A closed-loop load generator: `concurrency` workers each issue one request,
 * wait for its answer and issue the next, like etcd's tools/benchmark with
 * --clients=N. Counts and a time cap bound every row.
 */

export interface LoadResult {
  ops: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** Per-op latencies in ms, sorted ascending. */
  latencies: Float64Array;
  /**
   * This (client) process's CPU time over wall time: near 1 means the single
   * JS thread generating the load was saturated, so the row measured the client.
   */
  clientCpu: number;
}

export async function runLoad(options: {
  total: number;
  concurrency: number;
  maxMs: number;
  /** Issues op number i (0-based, unique across workers). */
  op: (i: number) => Promise<void>;
}): Promise<LoadResult> {
  const { total, concurrency, maxMs, op } = options;
  const latencies = new Float64Array(total);
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const deadline = start + maxMs;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total || performance.now() > deadline) return;
      const t0 = performance.now();
      try {
        await op(i);
        latencies[done++] = performance.now() - t0;
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const clientCpu = (cpu.user + cpu.system) / 1000 / elapsedMs;
  const measured = latencies.slice(0, done).sort();
  const result: LoadResult = { ops: done, errors, elapsedMs, latencies: measured, clientCpu };
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
