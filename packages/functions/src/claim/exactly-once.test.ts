import { getCondition, rfc3339 } from '@cnpaas/kube';
import { afterEach, describe, expect, it } from 'vitest';
import { SENT_CONDITION, type EmailStatus } from '../email-resource.js';
import { EmailSender } from '../email/sender.js';
import { messageIdFor } from '../email/message.js';
import { listMail } from '../mail/mail-store.js';
import type { SinkFaults } from '../mail/smtp-sink.js';
import { SECRET_BODY, SMTP_PASSWORD, capturingLogger, emailObject, startSink, type TestSink } from '../test-support.js';
import { EmailDelivery } from './exactly-once.js';
import { MemoryEmailStatusStore } from './memory-status-store.js';

let sink: TestSink | undefined;
const T0 = Date.parse('2030-01-02T03:04:05.678Z');
const sentOf = (status: EmailStatus | undefined) => getCondition(status?.conditions, SENT_CONDITION);

afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function setup(
  options: { faults?: SinkFaults; deadlineMs?: number; now?: () => number; instanceId?: string } = {},
) {
  sink = await startSink(options.faults ? { faults: options.faults } : {});
  const { log, lines } = capturingLogger();
  const store = new MemoryEmailStatusStore();
  const sender = new EmailSender({
    settings: sink.settings,
    log,
    backoff: { initialMs: 20, maxMs: 100 },
    deadlineMs: options.deadlineMs ?? 2_000,
  });
  const delivery = new EmailDelivery({
    store,
    sender,
    log,
    claimLeaseMs: 5_000,
    ...(options.now ? { now: options.now } : {}),
    ...(options.instanceId ? { instanceId: options.instanceId } : {}),
  });
  const email = store.put(emailObject());
  const ref = { namespace: email.metadata.namespace, name: email.metadata.name };
  return { store, delivery, email, ref, log, lines, sender, sink };
}

describe('EmailDelivery', () => {
  it('sends once, records sentTimestamp and Sent=True, and skips every replay', async () => {
    const { delivery, store, email, ref, lines } = await setup({ now: () => T0 });
    const messageId = messageIdFor(email.metadata.uid);
    expect(await delivery.deliver(ref, email.metadata.uid)).toMatchObject({
      outcome: 'sent',
      messageId,
      resent: false,
    });
    const status = store.peek(ref)!.status!;
    expect(status).toMatchObject({ sentTimestamp: new Date(T0).toISOString(), messageId, observedGeneration: 1 });
    expect(status.conditions).toEqual([
      {
        type: 'Sent',
        status: 'True',
        reason: 'Accepted',
        message: `the SMTP server accepted it as ${messageId}`,
        observedGeneration: 1,
        lastTransitionTime: rfc3339(T0),
      },
    ]);
    expect(await delivery.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'already-sent' });
    const all = await Promise.all([1, 2, 3].map(() => delivery.deliver(ref)));
    expect(all.every((o) => o.outcome === 'already-sent')).toBe(true);
    expect(await listMail(sink!.dir)).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(SECRET_BODY);
    expect(lines.join('\n')).not.toContain(SMTP_PASSWORD);
  });

  it('answers a replay of an Email it knows sent from memory by UID, and reads one without a UID or of another UID', async () => {
    const { delivery, store, email, ref } = await setup();
    expect(await delivery.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'sent' });
    const reads = store.calls.get;
    // The trigger's replays after the claim and sentTimestamp writes: no read, the same answer as from the status.
    expect(await delivery.deliver(ref, email.metadata.uid)).toEqual({
      outcome: 'already-sent',
      messageId: messageIdFor(email.metadata.uid),
    });
    expect(store.calls.get).toBe(reads);
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'already-sent' });
    expect(store.calls.get).toBe(reads + 1);
    // A namesake made later is another Email: it is read (and here found to be a different one).
    expect(await delivery.deliver(ref, 'another-uid')).toEqual({ outcome: 'gone' });
    expect(store.calls.get).toBe(reads + 2);
    expect(await listMail(sink!.dir)).toHaveLength(1);
  });

  it('learns from a read that an Email was sent (by another instance) and reads it no more', async () => {
    const { store, ref, email, sender, log } = await setup();
    const a = new EmailDelivery({ store: store.connect(), sender, log, claimLeaseMs: 5_000 });
    const b = new EmailDelivery({ store: store.connect(), sender, log, claimLeaseMs: 5_000 });
    expect(await a.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'sent' });
    expect(await b.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'already-sent' });
    const reads = store.calls.get;
    expect(await b.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'already-sent' });
    expect(store.calls.get).toBe(reads);
  });

  it('coalesces concurrent calls in one process into one send', async () => {
    const { delivery, ref } = await setup();
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => delivery.deliver(ref)));
    expect(new Set(outcomes.map((o) => o.outcome))).toEqual(new Set(['sent']));
    expect(await listMail(sink!.dir)).toHaveLength(1);
  });

  it('two instances racing for one Email: one claims (409 for the other), one message', async () => {
    const { store, ref, sender, log } = await setup();
    const a = new EmailDelivery({ store: store.connect(), sender, log, claimLeaseMs: 5_000 });
    const b = new EmailDelivery({ store: store.connect(), sender, log, claimLeaseMs: 5_000 });
    const outcomes = await Promise.all([a.deliver(ref), b.deliver(ref)]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['retry-later', 'sent']);
    expect(store.calls.conflicts).toBeGreaterThanOrEqual(1);
    expect(await b.deliver(ref)).toMatchObject({ outcome: 'already-sent' });
    expect(await listMail(sink!.dir)).toHaveLength(1);
  });

  it('survives injected 409s on the claim', async () => {
    const { store, delivery, ref } = await setup();
    store.conflictNext(3);
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'sent' });
    expect(store.calls.conflicts).toBe(3);
    expect(await listMail(sink!.dir)).toHaveLength(1);
  });

  it('a transient 451 inside the deadline: retried in the same call, sent once', async () => {
    let rcpt = 0;
    const { delivery, ref, store } = await setup({
      faults: { rcptTo: () => (++rcpt <= 2 ? { code: 451, message: 'try later' } : undefined) },
    });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'sent', attempts: 3 });
    expect(store.peek(ref)!.status!.errorMessage).toBeUndefined();
    expect(await listMail(sink!.dir)).toHaveLength(1);
  });

  it('while sending: claimed with Sent=False Sending, observedGeneration not yet moved', async () => {
    const { store, ref, sender, log } = await setup();
    let during: EmailStatus | undefined;
    const peeking = {
      deadlineMs: sender.deadlineMs,
      send: (message: Parameters<EmailSender['send']>[0]) => {
        during = store.peek(ref)!.status;
        return sender.send(message);
      },
    };
    const delivery = new EmailDelivery({
      store,
      sender: peeking,
      log,
      claimLeaseMs: 5_000,
      instanceId: 'fn-a',
      now: () => T0,
    });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'sent' });
    expect(during).toMatchObject({ claimedBy: 'fn-a', claimedTimestamp: new Date(T0).toISOString() });
    expect(during!.observedGeneration).toBeUndefined();
    expect(during!.conditions).toEqual([
      {
        type: 'Sent',
        status: 'False',
        reason: 'Sending',
        message: 'claimed by function instance fn-a; sending',
        observedGeneration: 1,
        lastTransitionTime: rfc3339(T0),
      },
    ]);
  });

  it('transient failures past the deadline: error recorded, claim released, Sent keeps its transition time until the send succeeds', async () => {
    let failing = true;
    let clock = T0;
    const { delivery, ref, store } = await setup({
      deadlineMs: 300,
      now: () => clock,
      faults: { rcptTo: () => (failing ? { code: 451, message: 'try later' } : undefined) },
    });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'retry-later', reason: 'send-failed' });
    const status = store.peek(ref)!.status!;
    expect(status).toMatchObject({
      errorMessage: expect.stringContaining('451'),
      errorTimestamp: new Date(T0).toISOString(),
      observedGeneration: 1,
    });
    expect(status.claimedBy).toBeUndefined();
    expect(status.errorPermanent).toBeUndefined();
    expect(status.conditions).toEqual([
      {
        type: 'Sent',
        status: 'False',
        reason: 'SendFailed',
        message: `${status.errorMessage}; will retry`,
        observedGeneration: 1,
        lastTransitionTime: rfc3339(T0),
      },
    ]);

    clock = T0 + 60_000;
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'retry-later', reason: 'send-failed' });
    expect(store.peek(ref)!.status!.errorTimestamp).toBe(new Date(clock).toISOString());
    expect(sentOf(store.peek(ref)!.status)).toMatchObject({
      status: 'False',
      reason: 'SendFailed',
      lastTransitionTime: rfc3339(T0),
    });

    failing = false;
    clock = T0 + 120_000;
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'sent', resent: false });
    const sent = store.peek(ref)!.status!;
    expect(sent.errorMessage).toBeUndefined();
    expect(sent.conditions).toHaveLength(1);
    expect(sentOf(sent)).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
      lastTransitionTime: rfc3339(clock),
    });
    expect(await listMail(sink!.dir)).toHaveLength(1);
  });

  it('a permanent 550: Sent=False Rejected, not retried, replays of that generation do nothing, a new generation tries again', async () => {
    let rcpt = 0;
    let clock = T0;
    const { delivery, ref, store } = await setup({
      now: () => clock,
      faults: { rcptTo: () => (++rcpt, { code: 550, message: 'No such user' }) },
    });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'failed' });
    const status = store.peek(ref)!.status!;
    expect(status).toMatchObject({
      errorMessage: expect.stringContaining('550'),
      errorPermanent: true,
      observedGeneration: 1,
    });
    expect(status.conditions).toEqual([
      {
        type: 'Sent',
        status: 'False',
        reason: 'Rejected',
        message: status.errorMessage,
        observedGeneration: 1,
        lastTransitionTime: rfc3339(T0),
      },
    ]);
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'already-failed' });
    expect(rcpt).toBe(1);

    const stored = store.peek(ref)!;
    store.put({ ...stored, metadata: { ...stored.metadata, generation: 2 } });
    clock = T0 + 60_000;
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'failed' });
    expect(rcpt).toBe(2);
    expect(store.peek(ref)!.status!.observedGeneration).toBe(2);
    expect(sentOf(store.peek(ref)!.status)).toMatchObject({
      reason: 'Rejected',
      observedGeneration: 2,
      lastTransitionTime: rfc3339(T0),
    });
  });

  it("a live claim of another instance: retry later, with the lease's remaining time", async () => {
    const { delivery, ref, store } = await setup();
    const email = store.peek(ref)!;
    await store.claim(ref, email.metadata.resourceVersion!, {
      claimedBy: 'other',
      claimedTimestamp: new Date().toISOString(),
      messageId: 'x',
      conditions: [],
    });
    const outcome = await delivery.deliver(ref);
    expect(outcome).toMatchObject({ outcome: 'retry-later', reason: 'claimed-elsewhere' });
    expect((outcome as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(3_000);
    expect(await listMail(sink!.dir)).toHaveLength(0);
  });

  it('an abandoned claim without sentTimestamp: logged as the window, re-sent with the same Message-ID', async () => {
    const { delivery, ref, store, lines, email } = await setup();
    const stored = store.peek(ref)!;
    await store.claim(ref, stored.metadata.resourceVersion!, {
      claimedBy: 'dead',
      claimedTimestamp: new Date(Date.now() - 60_000).toISOString(),
      messageId: 'x',
      conditions: [],
    });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'sent', resent: true });
    const window = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['window'] === 'claim-without-sentTimestamp');
    expect(window).toHaveLength(1);
    expect(window[0]).toMatchObject({ level: 40, holder: 'dead', messageId: messageIdFor(email.metadata.uid) });
  });

  it('a malformed stored Email: invalid, recorded as a permanent error with Sent=False Invalid, nothing sent', async () => {
    const { delivery, store } = await setup({ now: () => T0 });
    const bad = store.put(emailObject({ spec: { toAddress: 'not-an-address' } }));
    const ref = { namespace: bad.metadata.namespace, name: bad.metadata.name };
    expect(await delivery.deliver(ref)).toMatchObject({
      outcome: 'invalid',
      problems: ['spec.toAddress: not an email address'],
    });
    const message = 'Invalid Email: spec.toAddress: not an email address';
    expect(store.peek(ref)!.status).toMatchObject({
      errorPermanent: true,
      errorMessage: message,
      observedGeneration: 1,
    });
    expect(store.peek(ref)!.status!.conditions).toEqual([
      {
        type: 'Sent',
        status: 'False',
        reason: 'Invalid',
        message,
        observedGeneration: 1,
        lastTransitionTime: rfc3339(T0),
      },
    ]);
    expect(await listMail(sink!.dir)).toHaveLength(0);
  });

  it('a deleted Email, or one replaced under the same name, is gone', async () => {
    const { delivery, store, ref, email } = await setup();
    expect(await delivery.deliver(ref, 'another-uid')).toMatchObject({ outcome: 'gone' });
    store.delete(ref);
    expect(await delivery.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'gone' });
  });
});
