import { describe, expect, it } from 'vitest';
import { put } from '../../src/mvcc/test-helpers.js';
import { heldCommit, heldReadAhead, heldWrite, until, useInProcessReplicas } from '../support/in-process-replicas.js';
import { postgresMissing } from '../support/postgres.js';

/**
 * A replica's batch holds a transaction open on the main database from its
 * lock to its COMMIT, across awaits, and a KeepAlive arriving meanwhile runs
 * inside it. When that batch failed, the renewal was rolled back with it
 * although the client had been told it succeeded: the lease kept its earlier
 * expiry, as every replica saw it.
 *
 * A KeepAlive for a lease whose revoke is applied in that open batch must
 * not answer "not found" either, while the revoke may still fail: it waits
 * for the batch.
 *
 * The failure is injected (the one fake here): the batch's load from the
 * main database, or its COMMIT, waits until the test lets it fail or go on.
 * Everything else is two real replicas on a private PostgreSQL.
 */
const replicas = useInProcessReplicas();

const TTL = 10;
/** Long enough for a lease's remaining whole seconds to drop by two. */
const AGE_MS = 2_200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(postgresMissing() !== undefined)("a KeepAlive on a replica while the replica's batch is open", () => {
  it('still renews the lease when that batch fails', async () => {
    const { opener, fault } = heldReadAhead();
    const { a, b } = await replicas.pairOnShared(opener, { optimistic: false });
    const { id } = await a.leaseGrant(7n, TTL);
    await sleep(AGE_MS);
    expect(b.leaseTimeToLive(id, false)?.ttl).toBeLessThanOrEqual(TTL - 2);

    const { writing: failing } = await heldWrite(a, fault, put('/k/lost', 'v'));
    // The batch holds the lock and waits for its load: the keep-alive runs inside its transaction.
    expect(a.leaseRenew(id)).toBe(TTL);
    fault.fail();
    await expect(failing).rejects.toThrow('injected by the test');

    // Read on the other replica: what the database holds, not what replica a remembers. The renewal is
    // replayed without blocking the event loop, so it lands a round trip after the failure is answered.
    await until(
      'the renewal replayed after the failed batch',
      () => (b.leaseTimeToLive(id, false)?.ttl ?? 0) >= TTL - 1,
    );
  }, 60_000);

  it('is not renewed again by a later batch that fails, once its own batch committed', async () => {
    const { opener, fault } = heldReadAhead();
    const { a, b } = await replicas.pairOnShared(opener, { optimistic: false });
    const { id } = await a.leaseGrant(7n, TTL);

    const { writing: committing } = await heldWrite(a, fault, put('/k/kept', 'v'));
    expect(a.leaseRenew(id)).toBe(TTL);
    fault.proceed();
    await committing;
    await sleep(AGE_MS);

    const { writing: failing } = await heldWrite(a, fault, put('/k/lost', 'v'));
    fault.fail();
    await expect(failing).rejects.toThrow('injected by the test');
    // Renewed again here, the lease would have its full TTL back although no client asked for it.
    expect(b.leaseTimeToLive(id, false)?.ttl).toBeLessThanOrEqual(TTL - 2);
  }, 60_000);

  it('waits for a revoke still committing, and renews the lease when that revoke fails', async () => {
    const { opener, fault } = heldCommit();
    const { a } = await replicas.pairOnShared(opener);
    const { id } = await a.leaseGrant(7n, TTL);
    await sleep(AGE_MS);

    fault.armed = true;
    const revoking = a.leaseRevoke(id);
    revoking.catch(() => undefined);
    await until("the revoke's COMMIT held", () => fault.held);
    // Applied inside the open batch, not committed: "not found" now would be an answer the database may undo.
    const renewing = a.leaseRenew(id);
    expect(renewing).toBeInstanceOf(Promise);
    fault.fail();
    await expect(revoking).rejects.toThrow('injected by the test');
    expect(await renewing).toBe(TTL);
    expect(a.leaseTimeToLive(id, false)?.ttl).toBeGreaterThanOrEqual(TTL - 1);
  }, 60_000);

  it('answers TTL 0 once a revoke it waited for has committed', async () => {
    const { opener, fault } = heldCommit();
    const { a, b } = await replicas.pairOnShared(opener);
    const { id } = await a.leaseGrant(7n, TTL);

    fault.armed = true;
    const revoking = a.leaseRevoke(id);
    await until("the revoke's COMMIT held", () => fault.held);
    const renewing = a.leaseRenew(id);
    fault.proceed();
    await revoking;
    expect(await renewing).toBe(0);
    expect(b.leaseTimeToLive(id, false)).toBeUndefined();
  }, 60_000);
});
