/**
 * kube-apiserver's Go heap as the objects grow: `/debug/pprof/heap`, fetched
 * through the admin client before the load, at each tenth of the target and
 * at the end, so `go tool pprof -diff_base` can say what a growth in its
 * resident memory is made of. The stack serves pprof only when asked
 * (`apiserverProfiling`); every other stack runs with `--profiling=false`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KubeClient } from '@cnpaas/kube';

export interface HeapProfilerOptions {
  http: KubeClient;
  dir: string;
  /** The side's name, first in each file name. */
  kind: string;
  /** The object count the run aims for: a profile at each tenth of it. */
  target: number;
  log: (line: string) => void;
}

export interface HeapProfiler {
  /** Called with the running count: takes a profile when it has passed the next tenth, one at a time. */
  progress(created: number): void;
  /** A profile now, after any in flight. */
  take(created: number): Promise<void>;
  /** The files written so far, in order. */
  files(): string[];
}

export function heapProfiler(options: HeapProfilerOptions): HeapProfiler {
  const { http, dir, kind, target, log } = options;
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const step = Math.max(1, Math.ceil(target / 10));
  let next = step;
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;

  const fetchOne = async (created: number): Promise<void> => {
    const res = await http.raw('GET', '/debug/pprof/heap', { timeoutMs: 60_000 });
    if (res.status !== 200) {
      log(
        `  heap profile at ${created} objects: HTTP ${res.status} (is kube-apiserver running with --profiling=true?)`,
      );
      return;
    }
    const file = path.join(dir, `${kind}-${String(created).padStart(8, '0')}.pb.gz`);
    writeFileSync(file, res.body);
    written.push(file);
  };
  const take = (created: number): Promise<void> => {
    inFlight = inFlight
      .then(() => fetchOne(created))
      .catch((err: unknown) => {
        log(`  heap profile at ${created} objects failed: ${(err as Error).message}`);
      });
    return inFlight;
  };

  return {
    progress(created) {
      if (created < next || busy) return;
      while (next <= created) next += step;
      busy = true;
      void take(created).finally(() => (busy = false));
    },
    take,
    files: () => [...written],
  };
}
