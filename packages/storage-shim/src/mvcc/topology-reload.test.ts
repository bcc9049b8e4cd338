import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { openTestStore, prefixTopology, put, type TestStore } from './test-helpers.js';

let t: TestStore;
afterEach(async () => {
  await t.dispose();
});

/**
 * A reload that appends several backends opens each of them before the store
 * routes to any. When one cannot be opened, the reload is refused whole: the
 * backends opened before it must not stay behind in the store (listed in its
 * key counts and files, compacted, never closed), nor be opened a second
 * time when the corrected file is reloaded. The failure is a real one: a
 * SQLite backend on a worker thread, which keeps no label index, in a store
 * started with --label-index.
 */
describe('a topology reload that cannot open one of the backends it appends', () => {
  it('adds none of them, and the corrected file then adds each once', async () => {
    t = openTestStore(prefixTopology({ alpha: '/a/' }), { labelIndex: true });
    const file = join(t.dir, 'topology.yaml');
    const before = t.store.backendNames;
    writeFileSync(
      file,
      `${prefixTopology({ alpha: '/a/', beta: '/b/' })}  - name: gamma\n    endpoint: sqlite://gamma.db?thread=worker\n    prefix: { prefix: "/g/" }\n`,
    );
    const refused = (() => {
      try {
        t.store.reloadTopology();
        return undefined;
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe('CNPAAS_STORE_SQLITE_WORKER_LABEL_INDEX');
    expect(t.store.backendNames).toEqual(before);
    expect(Object.keys(t.store.keyCounts())).toEqual(before);

    writeFileSync(file, prefixTopology({ alpha: '/a/', beta: '/b/', gamma: '/g/' }));
    expect(t.store.reloadTopology()).toEqual(['beta', 'gamma']);
    expect(t.store.backendNames).toEqual([...before, 'beta', 'gamma']);
    await t.store.put(put('/b/k', 'v'));
    expect(t.store.keyCounts()).toMatchObject({ beta: 1, gamma: 0 });
  });
});
