import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RevisionStore } from '../mvcc/store.js';
import { b, put } from '../mvcc/test-helpers.js';
import { parseTopology } from '../routing/topology.js';
import { makePrivateDatabase } from './private-files.js';
import { registry } from './registry.js';

const root = mkdtempSync(join(tmpdir(), 'cnpaas-private-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The usual umask: without the store's own care, files would come out 0644 and directories 0755.
let umask: number;
beforeEach(() => {
  umask = process.umask(0o022);
});
afterEach(() => {
  process.umask(umask);
});

const TOPOLOGY = `backends:
  - name: secrets
    endpoint: sqlite://secrets/secrets.db
    prefix: { prefix: "secrets/" }
`;

function open(dataDir: string): RevisionStore {
  const topology = parseTopology(TOPOLOGY, { file: join(dataDir, 'topology.yaml'), dataDir });
  return new RevisionStore({ dataDir, topology, fsync: false, opener: registry, logger: pino({ level: 'silent' }) });
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? [path, ...walk(path)] : [path];
  });
}

describe('the files of the store', () => {
  it('are owner-only: directories 0700, every database file and its -wal and -shm 0600', async () => {
    const dataDir = join(root, 'modes', 'data');
    const store = open(dataDir);
    await store.put(put('/registry/secrets/default/s', 'v'));
    await store.put(put('/registry/pods/default/p', 'v'));
    await store.leaseGrant(0n, 60);
    const paths = walk(dataDir);
    const files = paths.filter((p) => statSync(p).isFile());
    // Every file of the three databases is there while the store runs: .db, -wal, -shm; and the data dir's lock.
    expect(files.map((p) => p.slice(dataDir.length + 1)).sort()).toEqual([
      'main.db',
      'main.db-shm',
      'main.db-wal',
      'meta.db',
      'meta.db-shm',
      'meta.db-wal',
      'secrets/secrets.db',
      'secrets/secrets.db-shm',
      'secrets/secrets.db-wal',
      'store.lock',
    ]);
    for (const p of files) expect({ p, mode: (statSync(p).mode & 0o777).toString(8) }).toEqual({ p, mode: '600' });
    for (const p of [dataDir, ...paths.filter((x) => statSync(x).isDirectory())]) {
      expect({ p, mode: (statSync(p).mode & 0o777).toString(8) }).toEqual({ p, mode: '700' });
    }
    await store.close();
  });

  it('narrows a database file an older store left world-readable', () => {
    const path = join(root, 'old.db');
    writeFileSync(path, '', { mode: 0o644 });
    writeFileSync(`${path}-wal`, '', { mode: 0o644 });
    makePrivateDatabase(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
  });

  it('refuses to open a database path that is a symbolic link', () => {
    const target = join(root, 'elsewhere.txt');
    writeFileSync(target, 'x', { mode: 0o644 });
    const link = join(root, 'link.db');
    symlinkSync(target, link);
    expect(() => makePrivateDatabase(link)).toThrow(/ELOOP/);
    expect(statSync(target).mode & 0o777).toBe(0o644);
  });

  it('keep no copy of a deleted value once it is compacted away and checkpointed', async () => {
    const dataDir = join(root, 'erase');
    let store = open(dataDir);
    const marker = `MARKER-${randomBytes(16).toString('hex')}`;
    // The secret in the default backend and in a routed one; neighbours keep the pages in use.
    for (const key of ['/registry/secrets/default/gone', 'secrets/gone']) {
      await store.put(put(`${key}-before`, 'x'.repeat(200)));
      await store.put(put(key, marker));
      await store.put(put(`${key}-after`, 'y'.repeat(200)));
      await store.deleteRange({ key: b(key), rangeEnd: Buffer.alloc(0), prevKv: false });
    }
    await store.compact(store.revision, true);
    await store.close();
    store = open(dataDir);
    for (const file of ['main.db', 'secrets/secrets.db', 'meta.db']) {
      const bytes = readFileSync(join(dataDir, file));
      expect({ file, found: bytes.includes(Buffer.from(marker)) }).toEqual({ file, found: false });
    }
    expect(readFileSync(join(dataDir, 'main.db')).includes(Buffer.from('x'.repeat(200)))).toBe(true);
    await store.close();
  });
});
