/**
 * The public "six kinds" benchmark's score, so a run here reads on their
 * scale: checks over a blend of the median, p90 and p95 latency (ms), punished
 * hard for failures (a 10 % failure share takes the score to 48 %).
 */
import { quantile, type ScaleLoadResult } from './workload.js';

/** All requests' latencies, creates and reads, sorted. */
export function mergeSorted(r: Pick<ScaleLoadResult, 'creates' | 'reads'>): Float64Array {
  const a = r.creates.sorted();
  const b = r.reads.sorted();
  const all = new Float64Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  return all.sort();
}

/** floor(checks / (med×0.2 + p90×0.3 + p95×0.5) × (1 − failed/checks)^7); 0 without checks. */
export function score(r: Pick<ScaleLoadResult, 'creates' | 'reads' | 'checks' | 'failed'>): number {
  if (r.checks === 0) return 0;
  const all = mergeSorted(r);
  const blend = quantile(all, 0.5) * 0.2 + quantile(all, 0.9) * 0.3 + quantile(all, 0.95) * 0.5;
  return Math.floor((r.checks / blend) * Math.pow(1 - r.failed / r.checks, 7));
}
