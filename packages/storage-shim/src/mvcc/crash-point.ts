/**
 * A test hook, and nothing else: with `CNPAAS_STORE_TEST_CRASH=<point>:<n>`
 * in its environment, the store kills itself with SIGKILL the n-th time a
 * replica's batch that spans databases reaches `<point>`. That is the one
 * way to stop a process exactly between two databases' commits, which the
 * crash tests of replicas with routed backends need
 * (test/sql-backends/replicas-routed.live.test.ts). Unset, it costs one
 * comparison per such batch.
 *
 * - `after-log`: the revision log is committed in the main database, no
 *   other database has committed the batch.
 * - `between-commits`: every routed database has committed the batch, the
 *   main database has not.
 */
export type CrashPoint = 'after-log' | 'between-commits';

const spec = parse(process.env.CNPAAS_STORE_TEST_CRASH);
let reached = 0;

export function crashPoint(point: CrashPoint): void {
  if (spec?.point !== point) return;
  if (++reached === spec.n) process.kill(process.pid, 'SIGKILL');
}

function parse(value: string | undefined): { point: CrashPoint; n: number } | undefined {
  const m = /^(after-log|between-commits):(\d+)$/.exec(value ?? '');
  return m ? { point: m[1] as CrashPoint, n: Number(m[2]) } : undefined;
}
