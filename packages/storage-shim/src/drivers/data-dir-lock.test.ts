import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { MetaStore } from './meta-store.js';

const root = mkdtempSync(join(tmpdir(), 'cnpaas-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the data dir lock', () => {
  it('refuses a second store on a data dir while the first has it open, and frees it on close', () => {
    const first = new MetaStore(join(root, 'meta.db'), { fsync: false });
    let refused: unknown;
    try {
      new MetaStore(join(root, 'meta.db'), { fsync: false }).close();
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('CNPAAS_STORE_DATA_DIR_LOCKED');
    expect((refused as StoreError).describe()).toContain('--main-endpoint');
    first.close();
    const again = new MetaStore(join(root, 'meta.db'), { fsync: false });
    expect(again.compactRevision()).toBe(-1);
    again.close();
  });
});
