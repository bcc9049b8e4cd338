import { describe, expect, it } from 'vitest';
import type { RevisionSequencer } from '../../src/mvcc/backend.js';
import { put } from '../../src/mvcc/test-helpers.js';
import { patchedOpener, until, useInProcessReplicas } from '../support/in-process-replicas.js';
import { postgresMissing } from '../support/postgres.js';

/**
 * A replica learns of another's commit from its notification, and catches up
 * as its one step in flight. A notification that arrives while a step is in
 * flight (a catch-up that read the newest revision just before that commit,
 * or an optimistic batch of its own, which does not catch up) must not be
 * dropped: the commit would then reach this replica's watchers only at the
 * next poll, 250 ms later, and Kubernetes' watch tests wait 150 ms for an
 * event.
 *
 * Two real stores on a private PostgreSQL. `b`'s poll is turned off (the one
 * change made to it), so only a notification can bring a commit, and its
 * catch-up's read of the newest revision is made at once but answered only
 * when the test says: the read sees the first commit, not the second.
 */
const replicas = useInProcessReplicas();

function heldCatchUp() {
  const state = { wakes: 0, armed: false, held: false, proceed: () => {} };
  const opener = patchedOpener(({ meta, main }) => {
    const sequencer = (meta as unknown as { sequencer: RevisionSequencer }).sequencer;
    const subscribe = sequencer.subscribe.bind(sequencer);
    sequencer.subscribe = (wake) => {
      // The poll is a setInterval made inside subscribe: given a timer that never fires, it never wakes.
      const setInterval = globalThis.setInterval;
      globalThis.setInterval = ((_fn: () => void, ms: number) => setInterval(() => {}, ms)) as typeof setInterval;
      try {
        return subscribe(() => {
          state.wakes++;
          wake();
        });
      } finally {
        globalThis.setInterval = setInterval;
      }
    };
    const driver = main as unknown as { readAsync(text: string, params?: unknown[]): Promise<unknown> };
    const readAsync = driver.readAsync.bind(driver);
    driver.readAsync = (text, params) => {
      const answer = readAsync(text, params);
      if (!state.armed) return answer;
      state.armed = false;
      state.held = true;
      return new Promise((resolve) => (state.proceed = () => resolve(answer)));
    };
  });
  return { opener, state };
}

describe.skipIf(postgresMissing() !== undefined)('a notification that arrives during a catch-up', () => {
  it('is kept, and the commit it announced reaches the watchers without a poll', async () => {
    const { opener, state } = heldCatchUp();
    const url = (await replicas.postgres('shared')).url('shared');
    const a = replicas.open({ main: url });
    const b = replicas.open({ main: url, opener });
    await Promise.all([a.recovered, b.recovered]);
    const delivered: number[] = [];
    b.onCommit((revisions) => delivered.push(...revisions.map((r) => r.revision)));

    const first = (await a.put(put('/k/0', 'v'))).revision;
    await until(`revision ${first} delivered on b by its notification`, () => delivered.includes(first));

    state.armed = true;
    const wakes = state.wakes;
    const second = (await a.put(put('/k/1', 'v'))).revision;
    await until("b's catch-up read the newest revision, its answer held", () => state.held);
    const third = (await a.put(put('/k/2', 'v'))).revision;
    await until('the third commit notified b while its catch-up was in flight', () => state.wakes >= wakes + 2);
    state.proceed();

    await until(`revision ${third} delivered on b`, () => delivered.includes(third));
    expect(delivered).toEqual([first, second, third]);
    expect(b.revision).toBe(third);
  }, 60_000);
});
