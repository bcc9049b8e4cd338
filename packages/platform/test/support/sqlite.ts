/**
 * Reads the store's SQLite files directly (read-only), to show where each
 * object landed. Only tests do this; the platform itself asks the store.
 */
import Database from 'better-sqlite3';
import path from 'node:path';

export function liveKeys(dataDir: string, file: string, prefix: string): string[] {
  const db = new Database(path.join(dataDir, file), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT key FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key').all(Buffer.byteLength(prefix), Buffer.from(prefix)) as Array<{ key: Buffer }>;
    return rows.map((r) => r.key.toString('utf8'));
  } finally {
    db.close();
  }
}

/** The lease a key is attached to and that lease's TTL in seconds, or null. */
export function leaseOf(dataDir: string, file: string, key: string): { id: number; ttl: number } | null {
  const db = new Database(path.join(dataDir, file), { readonly: true, fileMustExist: true });
  const meta = new Database(path.join(dataDir, 'meta.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT lease FROM kv WHERE key = ?').get(Buffer.from(key)) as { lease: number } | undefined;
    if (!row || row.lease === 0) return null;
    const lease = meta.prepare('SELECT ttl FROM leases WHERE id = ?').get(row.lease) as { ttl: number } | undefined;
    return lease ? { id: row.lease, ttl: lease.ttl } : null;
  } finally {
    db.close();
    meta.close();
  }
}
