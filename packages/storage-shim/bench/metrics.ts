/**
 * Reads fsync counters from a server's Prometheus endpoint, so the table can
 * show fsyncs per acknowledged write: the proof that group commit batches and
 * that durability was not bought by skipping fsync.
 */

/** Sums every sample of each metric over its labels. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (Number.isFinite(value)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + value);
  }
  return out;
}

export interface FsyncCounters {
  fsyncs: number;
  /** Writes the server itself counted, when it exposes such a counter. */
  writes?: number;
}

/** How to read fsyncs from one kind of server. */
export interface FsyncSource {
  url: string;
  read(metrics: Map<string, number>): FsyncCounters | undefined;
}

/** cnpaas-store: its own counters, when the build exposes them. */
export function storeFsyncs(metricsUrl: string): FsyncSource {
  return {
    url: `${metricsUrl}/metrics`,
    read(m) {
      const fsyncs = m.get('cnpaas_store_fsyncs_total');
      if (fsyncs === undefined) return undefined;
      const writes = m.get('cnpaas_store_writes_total');
      return writes === undefined ? { fsyncs } : { fsyncs, writes };
    },
  };
}

/** etcd: WAL fsyncs plus backend (bbolt) commits, each of which fsyncs the db file. */
export function etcdFsyncs(clientUrl: string): FsyncSource {
  return {
    url: `${clientUrl}/metrics`,
    read(m) {
      const wal = m.get('etcd_disk_wal_fsync_duration_seconds_count');
      const backend = m.get('etcd_disk_backend_commit_duration_seconds_count');
      if (wal === undefined) return undefined;
      return { fsyncs: wal + (backend ?? 0) };
    },
  };
}

export async function scrape(source: FsyncSource | undefined): Promise<FsyncCounters | undefined> {
  if (!source) return undefined;
  try {
    const res = await fetch(source.url, { signal: AbortSignal.timeout(3_000) });
    if (!res.ok) return undefined;
    return source.read(parsePrometheus(await res.text()));
  } catch {
    return undefined;
  }
}
