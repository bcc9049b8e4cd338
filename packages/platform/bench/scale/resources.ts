/**
 * What the stack's processes hold while the scale run grows: resident memory
 * of kube-apiserver and of the datastore (from /proc), and the datastore's
 * disk use (allocated blocks, so a sparse or preallocated file counts as
 * what it really takes).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Resident set size in bytes, or undefined when the process is gone. */
export function rssBytes(pid: number | null): number | undefined {
  if (pid === null) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Bytes allocated on disk below `dir` (st_blocks × 512). */
export function diskBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) total += diskBytes(full);
    else if (e.isFile()) {
      try {
        total += statSync(full).blocks * 512;
      } catch {
        // removed meanwhile (a WAL checkpoint, etcd's snapshot rotation)
      }
    }
  }
  return total;
}

export interface ResourceSample {
  elapsedMs: number;
  created: number;
  apiserverRss?: number;
  datastoreRss?: number;
  disk: number;
}

export const mib = (bytes: number | undefined) => (bytes === undefined ? '–' : `${Math.round(bytes / 2 ** 20)} MiB`);
