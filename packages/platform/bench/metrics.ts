/**
 * Counters read before and after each phase, so the report can say where a
 * request's time went: the apiserver's own view of its storage calls
 * (`etcd_request_duration_seconds` by operation: the same metric on both
 * datastores), and the datastore's fsyncs.
 */
import type { KubeClient } from '@cnpaas/kube';

export type Samples = Map<string, number>;

/** `name{labels} value` lines, keyed by name plus the labels kept. */
export function parse(
  text: string,
  keep: (name: string, labels: Record<string, string>) => string | undefined,
): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const key = keep(m[1]!, labels);
    const value = Number(m[3]);
    if (key !== undefined && Number.isFinite(value)) out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

/** The apiserver's storage calls by operation: `<op> count` and `<op> sum` (seconds). */
export async function apiserverStorage(http: KubeClient): Promise<Samples> {
  const res = await http.raw('GET', '/metrics', { timeoutMs: 20_000 });
  if (res.status !== 200) return new Map();
  return parse(res.body.toString('utf8'), (name, labels) => {
    const m = /^etcd_request_duration_seconds_(sum|count)$/.exec(name);
    return m && labels.operation ? `${labels.operation} ${m[1]}` : undefined;
  });
}

/** The datastore's fsyncs (store: file commits; etcd: WAL fsyncs + backend commits) and gRPC calls. */
export async function datastoreCounters(url: string): Promise<Samples> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return new Map();
    return parse(await res.text(), (name) => {
      if (
        name === 'cnpaas_store_fsyncs_total' ||
        name === 'etcd_disk_wal_fsync_duration_seconds_count' ||
        name === 'etcd_disk_backend_commit_duration_seconds_count'
      )
        return 'fsyncs';
      if (name === 'cnpaas_store_commit_batches_total') return 'batches';
      return undefined;
    });
  } catch {
    return new Map();
  }
}

export function delta(before: Samples, after: Samples): Samples {
  const out: Samples = new Map();
  for (const [k, v] of after) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

/** Storage operations per API request and their mean duration, from a delta. */
export function storageOps(d: Samples, requests: number): Array<{ op: string; perRequest: number; meanMs: number }> {
  const ops: Array<{ op: string; perRequest: number; meanMs: number }> = [];
  for (const [k, count] of d) {
    const [op, kind] = k.split(' ');
    if (kind !== 'count' || count <= 0) continue;
    ops.push({ op: op!, perRequest: count / requests, meanMs: ((d.get(`${op} sum`) ?? 0) / count) * 1000 });
  }
  return ops.filter((o) => o.perRequest >= 0.01).sort((a, b) => b.perRequest - a.perRequest);
}
