import { fdatasync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WalSync } from './wal-sync.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('WalSync', () => {
  it('shares one next sync among the calls made while one runs, and never runs inline beside it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-wal-sync-'));
    writeFileSync(join(dir, 'x.db-wal'), 'frames');
    const started: Array<() => void> = [];
    let inline = 0;
    const wal = new WalSync(
      join(dir, 'x.db'),
      (fd, done) => started.push(() => fdatasync(fd, done)),
      () => inline++,
    );
    const first = wal.sync();
    const second = wal.sync();
    const third = wal.sync();
    expect(second).toBe(third);
    expect(wal.syncNow()).toBe(false);
    expect(started.length).toBe(1);
    started.shift()!();
    await first;
    // The running sync may have begun before the second and third calls' frames were written: they get their own.
    await new Promise((r) => setImmediate(r));
    expect(started.length).toBe(1);
    started.shift()!();
    await Promise.all([second, third]);
    expect(wal.syncNow()).toBe(true);
    expect(inline).toBe(1);
    wal.close();
  });

  it('fails, and keeps failing, when the WAL cannot be opened or synced', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-wal-sync-'));
    const missing = new WalSync(join(dir, 'missing.db'));
    await expect(missing.sync()).rejects.toMatchObject({ code: 'CNPAAS_STORE_FSYNC_FAILED' });
    expect(() => missing.syncNow()).toThrow(/missing\.db-wal: fdatasync failed \(ENOENT\)/);

    writeFileSync(join(dir, 'y.db-wal'), 'frames');
    let fail = true;
    const flaky = new WalSync(join(dir, 'y.db'), (fd, done) => {
      if (!fail) return fdatasync(fd, done);
      const err: NodeJS.ErrnoException = new Error('EIO: i/o error');
      err.code = 'EIO';
      done(err);
    });
    await expect(flaky.sync()).rejects.toThrow(/fdatasync failed \(EIO\)/);
    fail = false;
    // A later sync could succeed without the pages the failed one dropped: it is not tried.
    await expect(flaky.sync()).rejects.toThrow(/fdatasync failed \(EIO\)/);
    flaky.close();
  });
});
