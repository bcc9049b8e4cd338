import { FakeClock } from '@cnpaas/kube';
import { describe, expect, it } from 'vitest';
import { DeliveryQueue, type AttemptResult, type DeliveryQueueOptions, type Finish } from './delivery-queue.js';

interface Ev {
  key: string;
  n: number;
}

interface Call {
  ev: Ev;
  attempt: number;
  at: number;
  answer(result: AttemptResult): void;
}

/** A queue whose attempts wait until the test answers them. */
function setup(options: Partial<DeliveryQueueOptions<Ev>> = {}) {
  const clock = new FakeClock(0);
  const calls: Call[] = [];
  const finished: Array<{ ev: string; finish: Finish }> = [];
  const queue = new DeliveryQueue<Ev>({
    concurrency: 1,
    retries: 3,
    backoff: { initialMs: 1000, maxMs: 8000 },
    clock,
    random: () => 1,
    attempt: (ev, attempt, signal) =>
      new Promise<AttemptResult>((resolve) => {
        calls.push({ ev, attempt, at: clock.now(), answer: resolve });
        signal.addEventListener('abort', () => resolve({ result: 'retry', reason: 'aborted' }));
      }),
    onFinish: (ev, finish) => finished.push({ ev: `${ev.key}${ev.n}`, finish }),
    ...options,
  });
  const push = (key: string, n: number) => queue.push(key, { key, n });
  const inFlight = () => calls.filter((c) => !(c as Call & { done?: boolean }).done);
  const answer = async (i: number, result: AttemptResult) => {
    const call = calls[i]!;
    (call as Call & { done?: boolean }).done = true;
    call.answer(result);
    await clock.settle();
  };
  return { clock, calls, finished, queue, push, inFlight, answer };
}

const ok: AttemptResult = { result: 'delivered', status: 200 };
const busy: AttemptResult = { result: 'retry', reason: 'HTTP 503', status: 503 };

describe('DeliveryQueue', () => {
  it('keeps per-object order and honours concurrency across objects', async () => {
    const { calls, finished, push, answer, clock, queue } = setup({ concurrency: 2 });
    push('a', 1);
    push('a', 2);
    push('b', 1);
    push('c', 1);
    await clock.settle();
    // Two slots: a1 and b1; a2 waits behind a1 even though a slot frees up for c1 first.
    expect(calls.map((c) => `${c.ev.key}${c.ev.n}`)).toEqual(['a1', 'b1']);
    await answer(1, ok);
    expect(calls.map((c) => `${c.ev.key}${c.ev.n}`)).toEqual(['a1', 'b1', 'c1']);
    await answer(0, ok);
    expect(calls.map((c) => `${c.ev.key}${c.ev.n}`)).toEqual(['a1', 'b1', 'c1', 'a2']);
    expect(queue.active).toBe(2);
    await answer(2, ok);
    await answer(3, ok);
    expect(finished.map((f) => f.ev)).toEqual(['b1', 'a1', 'c1', 'a2']);
    expect(queue.size).toBe(0);
  });

  it("retries with exponential backoff, then gives up and moves on to the key's next event", async () => {
    const { calls, finished, push, answer, clock } = setup({ retries: 3 });
    push('a', 1);
    push('a', 2);
    await clock.settle();
    await answer(0, busy);
    await clock.advance(999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls.map((c) => c.at)).toEqual([0, 1000]);
    await answer(1, busy);
    await clock.advance(2000);
    await answer(2, { result: 'retry', reason: 'ECONNREFUSED' });
    await clock.advance(4000);
    expect(calls.map((c) => [c.ev.n, c.attempt, c.at])).toEqual([
      [1, 1, 0],
      [1, 2, 1000],
      [1, 3, 3000],
      [1, 4, 7000],
    ]);
    await answer(3, busy);
    // 1 + 3 retries used: a1 is given up, a2 starts at once.
    expect(finished).toEqual([{ ev: 'a1', finish: { outcome: 'failed', attempts: 4, reason: 'HTTP 503' } }]);
    expect(calls[4]).toMatchObject({ ev: { n: 2 }, attempt: 1, at: 7000 });
  });

  it('does not retry a permanent failure; a backoff does not hold a concurrency slot', async () => {
    const { calls, finished, push, answer, clock } = setup({ concurrency: 1 });
    push('a', 1);
    push('b', 1);
    push('c', 1);
    await clock.settle();
    await answer(0, busy); // a1 backs off for 1 s ...
    expect(calls[1]!.ev).toEqual({ key: 'b', n: 1 }); // ... and b1 runs meanwhile
    await answer(1, { result: 'permanent', reason: 'HTTP 422', status: 422 });
    expect(finished).toEqual([{ ev: 'b1', finish: { outcome: 'failed', attempts: 1, reason: 'HTTP 422' } }]);
    expect(calls[2]!.ev).toEqual({ key: 'c', n: 1 });
  });

  it('waits at least Retry-After, capped at the maximum backoff', async () => {
    const { calls, push, answer, clock } = setup({ backoff: { initialMs: 1000, maxMs: 8000 } });
    push('a', 1);
    await clock.settle();
    await answer(0, { ...busy, retryAfterMs: 5000 });
    await clock.advance(4999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    await answer(1, { ...busy, retryAfterMs: 3_600_000 });
    await clock.advance(8000);
    expect(calls.map((c) => c.at)).toEqual([0, 5000, 13000]);
  });

  it('treats a thrown attempt as retryable', async () => {
    let n = 0;
    const { finished, push, clock } = setup({
      retries: 1,
      backoff: { initialMs: 10, maxMs: 10 },
      attempt: async () => {
        if (++n === 1) throw new Error('boom');
        return ok;
      },
    });
    push('k', 1);
    await clock.advance(10);
    expect(finished).toEqual([{ ev: 'k1', finish: { outcome: 'delivered', attempts: 2 } }]);
  });

  it("coalesces: a newer event replaces the key's not-yet-attempted one", async () => {
    const { calls, finished, push, answer, clock, queue } = setup({ coalesce: true });
    push('a', 1);
    await clock.settle(); // a1 in flight
    push('a', 2);
    push('a', 3); // replaces a2
    push('a', 4); // replaces a3
    expect(queue.size).toBe(2);
    expect(finished.map((f) => [f.ev, f.finish.outcome])).toEqual([
      ['a2', 'superseded'],
      ['a3', 'superseded'],
    ]);
    await answer(0, ok);
    expect(calls.map((c) => c.ev.n)).toEqual([1, 4]);
    await answer(1, ok);
    expect(finished.map((f) => f.ev)).toEqual(['a2', 'a3', 'a1', 'a4']);
  });

  it('without coalescing every event is attempted', async () => {
    const { calls, push, answer, clock } = setup();
    push('a', 1);
    push('a', 2);
    push('a', 3);
    await clock.settle();
    await answer(0, ok);
    await answer(1, ok);
    await answer(2, ok);
    expect(calls.map((c) => c.ev.n)).toEqual([1, 2, 3]);
  });

  it('stop: backoffs and queued events are dropped unfinished; in-flight attempts are aborted after the grace', async () => {
    const { calls, finished, push, answer, clock, queue } = setup({ concurrency: 2 });
    push('a', 1);
    push('b', 1);
    push('c', 1);
    await clock.settle();
    await answer(0, busy); // a1 in backoff; c1 starts
    const stopped = queue.stop(500);
    await clock.advance(500);
    await stopped;
    expect(calls.map((c) => `${c.ev.key}${c.ev.n}`)).toEqual(['a1', 'b1', 'c1']);
    expect(finished).toEqual([]);
    expect(push('d', 1)).toBe(false);
    await clock.advance(10_000);
    expect(calls).toHaveLength(3);
  });

  it('idle() resolves once everything finished', async () => {
    const { push, answer, clock, queue } = setup();
    push('a', 1);
    let idle = false;
    void queue.idle().then(() => (idle = true));
    await clock.settle();
    expect(idle).toBe(false);
    await answer(0, ok);
    expect(idle).toBe(true);
  });
});
