import { afterEach, describe, expect, it } from 'vitest';
import { registry } from '../drivers/registry.js';
import type { BackendOpener } from './backend.js';
import { openTestStore, put, rangeOf, rangeReq, type TestStore } from './test-helpers.js';

/**
 * A Compact that arrives while a batch's COMMIT is still in flight, and that
 * batch then fails without landing. The compact revision must survive it (it
 * is recorded in meta.db by itself, not as part of the batch), and the
 * revision floor recorded with it must not count the failed batch's
 * revisions: those were never committed, so the next write takes the first
 * of them again, before and after a restart.
 *
 * The failure is injected (the one fake here): the main backend's COMMIT
 * answers later and fails, with nothing of the batch landed, as a network
 * database does when it refuses a COMMIT. A SQLite file's COMMIT returns
 * before the store yields, so a Compact cannot otherwise run in between.
 */
const opened: Array<{ t: TestStore; fault: { fail(): void } }> = [];
afterEach(async () => {
  // A test that failed early leaves its COMMIT in flight, which closing the store would wait for.
  for (const { t, fault } of opened.splice(0)) {
    fault.fail();
    await t.dispose();
  }
});

/** A store whose main backend's next COMMIT, once armed, rolls back and fails when `fail()` is called. */
function openFaulty() {
  const fault = { armed: false, entered: () => {}, fail: () => {} };
  const opener: BackendOpener = {
    ...registry,
    openDefault(dataDir, options) {
      const main = registry.openDefault(dataDir, options);
      const commit = main.commit.bind(main);
      main.commit = (...args) => {
        if (!fault.armed) return commit(...args);
        fault.armed = false;
        main.rollback();
        const failed = new Promise<void>((_, reject) => {
          fault.fail = () => reject(new Error('COMMIT refused (injected by the test)'));
        });
        fault.entered();
        return failed;
      };
      return main;
    },
  };
  const t = openTestStore(undefined, { opener });
  opened.push({ t, fault });
  return { t, fault };
}

/**
 * Starts `write` with the main backend's COMMIT armed to fail, and resolves once that COMMIT is in flight (with the
 * write's own promise in an object, which an async function would otherwise wait for).
 */
async function inFlight<T>(
  fault: ReturnType<typeof openFaulty>['fault'],
  write: () => Promise<T>,
): Promise<{ writing: Promise<T> }> {
  fault.armed = true;
  const entered = new Promise<void>((resolve) => (fault.entered = resolve));
  const writing = write();
  writing.catch(() => undefined);
  await entered;
  return { writing };
}

describe('a Compact while a batch that then fails is committing', () => {
  it('records a floor without the failed revisions: the next write takes them again', async () => {
    const { t, fault } = openFaulty();
    const write = (key: string) => t.store.put(put(key, 'v'));
    await write('/k/a');
    const before = (await write('/k/a')).revision;

    const { writing: failing } = await inFlight(fault, () => write('/k/failed'));
    expect(t.store.revision).toBe(before);
    await t.store.compact(before, true);
    fault.fail();
    await expect(failing).rejects.toThrow('COMMIT refused');

    expect(t.store.compactRevision).toBe(before);
    expect((await write('/k/after')).revision).toBe(before + 1);

    await t.store.close();
    const reopened = t.reopen();
    expect(reopened.compactRevision).toBe(before);
    expect(rangeOf(reopened, rangeReq('/k/failed')).kvs).toEqual([]);
    expect((await reopened.put(put('/k/next', 'v'))).revision).toBe(before + 2);
  });

  it('keeps the compact revision when the batch wrote meta.db too', async () => {
    const { t, fault } = openFaulty();
    const write = (key: string, lease = 0n) => t.store.put(put(key, 'v', lease));
    await write('/k/a');
    const before = (await write('/k/a')).revision;

    // The grant puts the batch in meta.db as well: its revision log commits there before the main backend's
    // COMMIT, which fails, and the store re-applies the logged revision as it resyncs.
    const grant = t.store.leaseGrant(7n, 60);
    const { writing: failing } = await inFlight(fault, () => write('/k/leased', 7n));
    await t.store.compact(before, true);
    fault.fail();
    await expect(failing).rejects.toThrow('COMMIT refused');
    await expect(grant).rejects.toThrow('COMMIT refused');

    expect((await write('/k/after')).revision).toBe(before + 2);
    expect(rangeOf(t.store, rangeReq('/k/leased')).kvs.map((kv) => kv.lease)).toEqual([7n]);

    await t.store.close();
    const reopened = t.reopen();
    expect(reopened.compactRevision).toBe(before);
    expect(() => rangeOf(reopened, rangeReq('/k/a', '', { revision: before - 1 }))).toThrow('has been compacted');
    expect(reopened.leases()).toEqual([7n]);
  });
});
