import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of SQLite databases and of their WALs under a store's data dir. */
export interface WalSize {
  dbBytes: number;
  walBytes: number;
  /** The largest single WAL: --wal-size-limit bounds each file, not their sum. */
  largestWalBytes: number;
}

/**
 * Sums the `*.db` files and their `*.db-wal` companions under `dataDir`
 * (recursively: routed backends may live in subdirectories). The WAL's size
 * is what the checkpointer is supposed to keep bounded, so the bench reports
 * it after the run rather than trusting a pragma.
 */
export function walSize(dataDir: string): WalSize {
  const out: WalSize = { dbBytes: 0, walBytes: 0, largestWalBytes: 0 };
  for (const entry of readdirSync(dataDir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    if (entry.name.endsWith('.db-wal')) {
      const size = statSync(file).size;
      out.walBytes += size;
      out.largestWalBytes = Math.max(out.largestWalBytes, size);
    } else if (entry.name.endsWith('.db')) out.dbBytes += statSync(file).size;
  }
  return out;
}

const MIB = 1024 * 1024;

export function walSizeLine(size: WalSize, pauseMs: number): string {
  return `SQLite WAL after the run and a ${pauseMs / 1000} s pause: ${(size.walBytes / MIB).toFixed(1)} MiB of WAL beside ${(size.dbBytes / MIB).toFixed(1)} MiB of database`;
}
