import Pg from 'pg';
import { describe, expect, it } from 'vitest';
import { put } from '../../src/mvcc/test-helpers.js';
import { heldReadAhead, heldWrite, rangeRequest, useInProcessReplicas } from '../support/in-process-replicas.js';
import { postgresMissing } from '../support/postgres.js';

/**
 * A replica's batch holds a transaction open on the main database from its
 * lock to its COMMIT, across awaits (its loads, its routed databases'
 * commits). A Compact arriving meanwhile must record the compact revision
 * on its own: written inside that transaction it was undone when the batch
 * failed, while the history rows below it were deleted anyway, so the other
 * replicas answered reads and watches below it from rows that were gone
 * (a key missing at an old revision) instead of refusing them as compacted.
 *
 * The failure is injected (the one fake here): the batch's load from the
 * main database waits until the test lets it fail. Everything else is two
 * real replicas on a private PostgreSQL.
 */
const replicas = useInProcessReplicas();

describe.skipIf(postgresMissing() !== undefined)("a Compact on a replica while the replica's batch is open", () => {
  it('stays recorded when that batch fails, so every replica refuses the compacted revisions', async () => {
    const { opener, fault } = heldReadAhead();
    const { a, b, url } = await replicas.pairOnShared(opener, { optimistic: false });
    const first = (await a.put(put('/k/1', 'one'))).revision;
    const second = (await a.put(put('/k/1', 'two'))).revision;

    const { writing: failing } = await heldWrite(a, fault, put('/k/2', 'lost'));
    // The batch holds the lock and waits for its load: the Compact comes now, and removes the first version.
    await a.compact(second, true);
    fault.fail();
    await expect(failing).rejects.toThrow('injected by the test');

    const admin = new Pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const recorded = await admin.query("SELECT value FROM meta WHERE name = 'compact_revision'");
      expect(recorded.rows).toEqual([{ value: String(second) }]);
    } finally {
      await admin.end();
    }
    await expect(b.range(rangeRequest({ key: Buffer.from('/k/1'), revision: first }))).rejects.toThrow(
      'required revision has been compacted',
    );
    expect(a.compactRevision).toBe(second);
  }, 60_000);
});
