import { describe, expect, it } from 'vitest';
import { deferred, MemoryLease, silentLog } from './testing.js';
import { FakeClock } from './clock.js';
import { LeaderElector } from './leader-election.js';

interface Candidate {
  elector: LeaderElector;
  lock: ReturnType<MemoryLease['client']>;
  log: string[];
  stop: AbortController;
  outcome: Promise<string>;
  leadingSignal?: AbortSignal;
}

/** A fake clock at 0 and an absent Lease; `candidate` starts one campaigning for it, doing `work` while it leads. */
function election() {
  const clock = new FakeClock(0);
  const lease = new MemoryLease();
  const candidate = (identity: string, work?: (signal: AbortSignal) => Promise<void>) =>
    campaign({ clock, lease, identity, work });
  return { clock, lease, candidate };
}

/** An election `a` has won, and `b` campaigning behind it. */
async function ledByA() {
  const e = election();
  const a = e.candidate('a');
  await e.clock.settle();
  return { ...e, a, b: e.candidate('b') };
}

/** Stops a candidate and returns how its run ended. */
function stopped(c: Candidate): Promise<string> {
  c.stop.abort();
  return c.outcome;
}

function campaign(options: {
  clock: FakeClock;
  lease: MemoryLease;
  identity: string;
  work?: ((signal: AbortSignal) => Promise<void>) | undefined;
}): Candidate {
  const { clock, lease, identity, work } = options;
  const lock = lease.client();
  const log: string[] = [];
  const stop = new AbortController();
  const c: Partial<Candidate> = { lock, log, stop };
  c.elector = new LeaderElector({
    lock,
    identity,
    clock,
    log: silentLog,
    random: () => 0,
    onStartedLeading: async (signal) => {
      c.leadingSignal = signal;
      log.push(`started@${clock.now()}`);
      await work?.(signal);
    },
    onStoppedLeading: () => log.push(`stopped@${clock.now()}`),
  });
  c.outcome = c.elector.run(stop.signal);
  return c as Candidate;
}

describe('LeaderElector', () => {
  it('acquires an absent Lease at once and renews it every retryPeriod', async () => {
    const { clock, lease, candidate } = election();
    const a = candidate('a');
    await clock.settle();
    expect(a.elector.isLeader()).toBe(true);
    expect(a.log).toEqual(['started@0']);
    expect(lease.record).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: 0,
      renewTime: 0,
      leaseTransitions: 0,
    });

    await clock.advance(2000);
    expect(lease.record).toMatchObject({ holderIdentity: 'a', acquireTime: 0, renewTime: 2000, leaseTransitions: 0 });
    await clock.advance(6000);
    expect(lease.record?.renewTime).toBe(8000);
    expect(lease.writes).toBe(5);
    await stopped(a);
  });

  it('a follower does not take a Lease that is being renewed', async () => {
    const { clock, lease, a, b } = await ledByA();
    await clock.advance(60_000);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    expect(b.elector.observedLeader()).toBe('a');
    expect(lease.record?.holderIdentity).toBe('a');
    await Promise.all([stopped(a), stopped(b)]);
  });

  it('the leader that cannot renew steps down after renewDeadline, before a follower takes over after leaseDuration', async () => {
    const { clock, lease, a, b } = await ledByA();
    await clock.advance(10_500); // a renewed at 2, 4, ..., 10 s
    expect(lease.record?.renewTime).toBe(10_000);
    a.lock.down = true;

    // a retries at 12, 14, ..., 20 s; its renewDeadline (10 s from 12 s) runs out at 22 s.
    await clock.advance(11_000); // t = 21.5 s
    expect(a.elector.isLeader()).toBe(true);
    await clock.advance(600); // t = 22.1 s
    expect(a.elector.isLeader()).toBe(false);
    expect(await a.outcome).toBe('lost');
    expect(a.leadingSignal?.aborted).toBe(true);
    expect(a.log).toEqual(['started@0', 'stopped@22000']);

    // b last saw the record change at 10 s (or at its next poll): not before 25 s.
    await clock.advance(2800); // t = 24.9 s
    expect(b.elector.isLeader()).toBe(false);
    await clock.advance(4100); // t = 29 s
    expect(b.elector.isLeader()).toBe(true);
    const takeover = Number(b.log[0]?.split('@')[1]);
    expect(takeover).toBeGreaterThanOrEqual(25_000);
    expect(takeover).toBeLessThanOrEqual(28_000);
    expect(lease.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1, acquireTime: takeover });
    await stopped(b);
  });

  it('loses leadership when another holder overwrote the Lease', async () => {
    const { clock, lease, candidate } = election();
    const a = candidate('a');
    await clock.advance(3000);
    lease.write({
      holderIdentity: 'intruder',
      leaseDurationSeconds: 15,
      renewTime: 3000,
      acquireTime: 3000,
      leaseTransitions: 1,
    });
    // Renewals at 4 s onwards see a valid foreign holder; at 14 s the deadline passes.
    await clock.advance(10_500);
    expect(a.elector.isLeader()).toBe(true);
    await clock.advance(1000);
    expect(await a.outcome).toBe('lost');
    expect(a.elector.observedLeader()).toBe('intruder');
    // A lost leader must not release (clear) someone else's Lease.
    expect(lease.record?.holderIdentity).toBe('intruder');
  });

  it('of two candidates racing for one Lease, the slower gets 409 and stays a follower', async () => {
    const { clock, lease } = election();
    lease.write({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 4 }); // released
    const gate = deferred();
    // Both read the Lease behind one gate, so both see it released and both try to take it.
    const racer = (identity: string) => {
      const lock = lease.client();
      lock.getGate = gate;
      return new LeaderElector({ lock, identity, clock, log: silentLog, onStartedLeading: () => undefined });
    };
    const b = racer('b');
    const c = racer('c');
    const signal = new AbortController().signal;
    const results = Promise.all([b.tryAcquireOrRenew(signal), c.tryAcquireOrRenew(signal)]);
    await clock.settle();
    gate.resolve(); // both read rv 1, then both replace with rv 1
    const [bWon, cWon] = await results;
    expect([bWon, cWon].filter(Boolean)).toHaveLength(1);
    expect(lease.record?.holderIdentity).toBe(bWon ? 'b' : 'c');
    expect(lease.record?.leaseTransitions).toBe(5);
    expect(lease.writes).toBe(2);
  });

  it('releases on shutdown after the work stopped, so a waiting candidate takes over within one retry', async () => {
    const { clock, lease, candidate } = election();
    const workDone = deferred();
    const order: string[] = [];
    const a = candidate('a', async (signal) => {
      await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
      order.push('abort seen');
      await workDone.promise;
      order.push(`work stopped, holder=${lease.record?.holderIdentity}`);
    });
    await clock.settle();
    const b = candidate('b');
    await clock.advance(5000);

    a.stop.abort();
    await clock.settle();
    expect(order).toEqual(['abort seen']);
    expect(lease.record?.holderIdentity).toBe('a'); // not released while the work runs
    workDone.resolve();
    expect(await a.outcome).toBe('cancelled');
    expect(order).toEqual(['abort seen', 'work stopped, holder=a']);
    expect(lease.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(a.log).toEqual(['started@0', 'stopped@5000']);

    // b polls every 2 s (random = 0): it takes over at its next poll, not 15 s later.
    await clock.advance(2000);
    expect(b.elector.isLeader()).toBe(true);
    expect(lease.record?.leaseTransitions).toBe(1);
    await stopped(b);
  });

  it('a renewal call that hangs cannot extend leadership past renewDeadline', async () => {
    const { clock, candidate } = election();
    const a = candidate('a');
    await clock.advance(1000);
    a.lock.hang = true;
    await clock.advance(1000 + 9_900); // renewal started at 2 s hangs
    expect(a.elector.isLeader()).toBe(true);
    await clock.advance(200); // 12.1 s: deadline 12 s passed
    expect(a.elector.isLeader()).toBe(false);
    expect(a.leadingSignal?.aborted).toBe(true);
    // The release attempt (from 12 s) hangs too; it is bounded by renewDeadline as well.
    await clock.advance(10_000);
    expect(await a.outcome).toBe('lost');
    expect(a.log).toEqual(['started@0', 'stopped@22000']);
  });

  it('returns cancelled without ever leading when stopped while campaigning', async () => {
    const { clock, lease, a, b } = await ledByA();
    await clock.advance(4000);
    expect(await stopped(b)).toBe('cancelled');
    expect(b.log).toEqual([]);
    expect(lease.record?.holderIdentity).toBe('a');
    await stopped(a);
  });

  it('rejects settings that break the algorithm', () => {
    const base = { lock: new MemoryLease().client(), identity: 'x', onStartedLeading: () => undefined, log: silentLog };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      /leaseDuration must be greater/,
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(
      /renewDeadline must be greater/,
    );
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(/identity/);
  });
});
