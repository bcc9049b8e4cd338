/**
 * The fault test of the email function's exactly-once protocol (docs/design.md
 * "The registration flow" step 6): 100 trigger deliveries of 20 Emails,
 * with duplicates, concurrent replays, 409s, temporary SMTP failures and
 * crashes between claim and send and between send and sentTimestamp, over a
 * real SMTP sink and real nodemailer. Counted by distinct Message-ID at the
 * sink: none may be missing, and a Message-ID may arrive twice only when
 * its Email went through the window (a crash after SMTP accepted), which
 * must have been logged.
 */
import { seededRandom } from '@cnpaas/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailObject } from '../email-resource.js';
import { messageIdFor } from '../email/message.js';
import { EmailSender } from '../email/sender.js';
import { listMail } from '../mail/mail-store.js';
import { capturingLogger, emailObject, startSink, type TestSink } from '../test-support.js';
import type { EmailRef } from './email-status-store.js';
import { EmailDelivery, type DeliveryOutcome } from './exactly-once.js';
import {
  MemoryEmailStatusStore,
  SimulatedCrash,
  type CrashPoint,
  type MemoryConnection,
} from './memory-status-store.js';

const SEED = Number(process.env['CNPAAS_FAULT_SEED'] ?? 20260101);
const LEASE_MS = 60_000;

let sink: TestSink;
let rcptCalls = 0;
const random = seededRandom(SEED);

beforeAll(async () => {
  // About one RCPT in eight answers a temporary 451: the sender retries inside the call.
  sink = await startSink({
    faults: { rcptTo: () => (++rcptCalls, random() < 0.125 ? { code: 451, message: 'try again later' } : undefined) },
  });
});
afterAll(async () => {
  await sink.close();
});

interface Instance {
  conn: MemoryConnection;
  delivery: EmailDelivery;
}

describe(`exactly-once under faults (seed ${SEED})`, () => {
  it('100 deliveries of 20 Emails: every Email delivered, duplicates only through the logged window', async () => {
    const { log, lines } = capturingLogger('info');
    const store = new MemoryEmailStatusStore({ turns: 3 });
    // A fake clock: the test moves it past the claim lease for the final replay, as time would.
    let clock = Date.now();
    const sender = new EmailSender({
      settings: sink.settings,
      log,
      backoff: { initialMs: 10, maxMs: 50 },
      deadlineMs: 3_000,
      random,
    });
    let instances = 0;
    // A crash kills the whole process: every delivery it has in flight stops, also one that SMTP
    // already accepted and whose sentTimestamp write now fails. Each such failed write is a window.
    const windowCrashes = new Map<string, number>();
    const spawn = (): Instance => {
      const conn = store.connect();
      const markSent = conn.markSent.bind(conn);
      conn.markSent = async (ref, sent) => {
        try {
          return await markSent(ref, sent);
        } catch (err) {
          if (err instanceof SimulatedCrash)
            windowCrashes.set(
              `${ref.namespace}/${ref.name}`,
              (windowCrashes.get(`${ref.namespace}/${ref.name}`) ?? 0) + 1,
            );
          throw err;
        }
      };
      return {
        conn,
        delivery: new EmailDelivery({
          store: conn,
          sender,
          log,
          instanceId: `fn-${++instances}`,
          claimLeaseMs: LEASE_MS,
          now: () => clock,
        }),
      };
    };
    // Three replicas of the function; a crashed one is replaced by a new process (new instance id).
    const pool: Instance[] = [spawn(), spawn(), spawn()];

    const emails: EmailObject[] = [];
    for (let i = 0; i < 20; i++)
      emails.push(
        store.put(emailObject({ name: `user-${i}-welcome`, namespace: `t-${String(i % 4).padStart(12, '0')}` })),
      );
    const refOf = (e: EmailObject): EmailRef => ({ namespace: e.metadata.namespace, name: e.metadata.name });

    // Crash injection: ~15% of claims crash right after the claim (before the send); ~15% of
    // sentTimestamp writes crash before landing (after SMTP accepted: the window).
    const claimCrashes = new Map<string, number>();
    store.crashAt = (point: CrashPoint, ref: EmailRef) => {
      if (point === 'before-record-error') return false;
      if (random() >= 0.15) return false;
      const k = `${ref.namespace}/${ref.name}`;
      if (point === 'after-claim') claimCrashes.set(k, (claimCrashes.get(k) ?? 0) + 1);
      return true;
    };

    const outcomes: Array<DeliveryOutcome | 'crashed'> = [];
    const call = async (email: EmailObject): Promise<void> => {
      const index = Math.floor(random() * pool.length);
      const instance = pool[index]!;
      if (random() < 0.1) store.conflictNext(1);
      try {
        outcomes.push(await instance.delivery.deliver(refOf(email), email.metadata.uid));
      } catch (err) {
        if (!(err instanceof SimulatedCrash)) throw err;
        outcomes.push('crashed');
        if (pool[index] === instance) pool[index] = spawn();
      }
    };

    // 100 trigger calls: every Email at least once, the rest random duplicates, in waves of
    // concurrent calls (a replayed watch delivers several at once).
    const schedule = [...emails];
    while (schedule.length < 100) schedule.push(emails[Math.floor(random() * emails.length)]!);
    for (let i = schedule.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [schedule[i], schedule[j]] = [schedule[j]!, schedule[i]!];
    }
    for (let i = 0; i < schedule.length; i += 5) await Promise.all(schedule.slice(i, i + 5).map(call));

    // The trigger's at-least-once guarantee: any Email not yet answered "done" gets delivered again,
    // later (past the lease of any dead holder). Crashes stay on, so this may take a few rounds.
    const done = (o: DeliveryOutcome): boolean => o.outcome === 'sent' || o.outcome === 'already-sent';
    for (let round = 0; round < 20; round++) {
      const pending = emails.filter((e) => !store.peek(refOf(e))!.status?.sentTimestamp);
      if (pending.length === 0) break;
      clock += LEASE_MS + 1;
      await Promise.all(pending.map(call));
    }
    store.crashAt = undefined;
    clock += LEASE_MS + 1;
    const final = await Promise.all(emails.map((e) => pool[0]!.delivery.deliver(refOf(e), e.metadata.uid)));
    expect(final.every(done)).toBe(true);
    // Whatever crashed on the way, the last write of each Email is its success.
    for (const e of emails) {
      expect(store.peek(refOf(e))!.status!.conditions, e.metadata.name).toEqual([
        expect.objectContaining({ type: 'Sent', status: 'True', reason: 'Accepted', observedGeneration: 1 }),
      ]);
    }

    // Count at the SMTP server.
    const received = await listMail(sink.dir);
    const perMessageId = new Map<string, number>();
    for (const m of received) perMessageId.set(m.messageId, (perMessageId.get(m.messageId) ?? 0) + 1);
    const expected = emails.map((e) => messageIdFor(e.metadata.uid));
    expect([...perMessageId.keys()].sort()).toEqual([...expected].sort());

    const windowLogs = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['window'] === 'claim-without-sentTimestamp');
    for (const email of emails) {
      const id = messageIdFor(email.metadata.uid);
      const copies = perMessageId.get(id)!;
      const windows = windowCrashes.get(`${email.metadata.namespace}/${email.metadata.name}`) ?? 0;
      // Each crash after SMTP accepted can cause at most one extra copy; no other path may.
      expect(copies, `${id}: ${copies} copies, ${windows} window crashes`).toBeLessThanOrEqual(1 + windows);
      if (copies > 1)
        expect(
          windowLogs.some((l) => l['messageId'] === id),
          `${id} re-sent without a window log line`,
        ).toBe(true);
    }
    const duplicates = received.length - expected.length;
    const totalWindows = [...windowCrashes.values()].reduce((a, b) => a + b, 0);
    const totalClaimCrashes = [...claimCrashes.values()].reduce((a, b) => a + b, 0);
    // The scenario must really have exercised the faults it claims to test.
    expect(totalWindows + totalClaimCrashes).toBeGreaterThan(0);
    expect(store.calls.conflicts).toBeGreaterThan(0);
    console.info(
      `fault test seed ${SEED}: ${outcomes.length} calls, ${received.length} messages for ${expected.length} Emails (${duplicates} duplicates), ` +
        `${totalClaimCrashes} crashes after claim, ${totalWindows} crashes after send, ${store.calls.conflicts} 409s, ${rcptCalls} RCPTs`,
    );
  });
});
