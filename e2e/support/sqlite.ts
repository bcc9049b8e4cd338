/** Reads the store's SQLite files (read-only) to show where each object landed. */
import Database from 'better-sqlite3';
import path from 'node:path';

/** Live keys under `prefix` in one backend file. */
export function liveKeys(stateDir: string, file: string, prefix: string): string[] {
  const db = new Database(path.join(stateDir, 'data', file), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT key FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key')
      .all(Buffer.byteLength(prefix), Buffer.from(prefix)) as Array<{ key: Buffer }>;
    return rows.map((r) => r.key.toString('utf8'));
  } finally {
    db.close();
  }
}

/** Every key (live or historical) containing `needle`, per backend file. */
export function whereKeys(stateDir: string, files: string[], needle: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of files) {
    const db = new Database(path.join(stateDir, 'data', file), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT DISTINCT key FROM (SELECT key FROM kv UNION ALL SELECT key FROM history) WHERE instr(key, ?) > 0')
        .all(Buffer.from(needle)) as Array<{ key: Buffer }>;
      if (rows.length > 0) out[file] = rows.map((r) => r.key.toString('utf8')).sort();
    } finally {
      db.close();
    }
  }
  return out;
}
