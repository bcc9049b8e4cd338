import { afterEach, describe, expect, it } from 'vitest';
import { EmailSender } from '../email/sender.js';
import { messageIdFor } from '../email/message.js';
import { listMail } from '../mail/mail-store.js';
import type { SinkFaults } from '../mail/smtp-sink.js';
import { SECRET_BODY, SMTP_PASSWORD, capturingLogger, emailObject, startSink, type TestSink } from '../test-support.js';
import { EmailDelivery } from './exactly-once.js';
import { MemoryEmailStatusStore } from './memory-status-store.js';

let sink: TestSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function setup(options: { faults?: SinkFaults; deadlineMs?: number; now?: () => number; instanceId?: string } = {}) {
  sink = await startSink(options.faults ? { faults: options.faults } : {});
  const { log, lines } = capturingLogger();
  const store = new MemoryEmailStatusStore();
  const sender = new EmailSender({ settings: sink.settings, log, backoff: { initialMs: 20, maxMs: 100 }, deadlineMs: options.deadlineMs ?? 2_000 });
  const delivery = new EmailDelivery({ store, sender, log, claimLeaseMs: 5_000, ...(options.now ? { now: options.now } : {}), ...(options.instanceId ? { instanceId: options.instanceId } : {}) });
  const email = store.put(emailObject());
  const ref = { namespace: email.metadata.namespace, name: email.metadata.name };
  return { store, delivery, email, ref, log, lines, sender, sink };
}

describe('EmailDelivery', () => {
  it('sends once, records sentTimestamp, and skips every replay', async () => {
    const { delivery, store, email, ref, lines } = await setup();
    expect(await delivery.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'sent', messageId: messageIdFor(email.metadata.uid), resent: false });
    expect(store.peek(ref)!.status).toMatchObject({ sentTimestamp: expect.any(String), messageId: messageIdFor(email.metadata.uid), lastGeneration: 1 });
    expect(await delivery.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'already-sent' });
    const all = await Promise.all([1, 2, 3].map(() => delivery.deliver(ref)));
    expect(all.every((o) => o.outcome === 'already-sent')).toBe(true);
    expect(await listMail(sink!.dir)).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(SECRET_BODY);
    expect(lines.join('\n')).not.toContain(SMTP_PASSWORD);
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
    const { delivery, ref, store } = await setup({ faults: { rcptTo: () => (++rcpt <= 2 ? { code: 451, message: 'try later' } : undefined) } });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'sent', attempts: 3 });
    expect(store.peek(ref)!.status!.errorMessage).toBeUndefined();
    expect(await listMail(sink!.dir)).toHaveLength(1);
  });

  it('a transient failure past the deadline: error recorded, claim released, the next call sends', async () => {
    let failing = true;
    const { delivery, ref, store } = await setup({ deadlineMs: 300, faults: { rcptTo: () => (failing ? { code: 451, message: 'try later' } : undefined) } });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'retry-later', reason: 'send-failed' });
    const status = store.peek(ref)!.status!;
    expect(status).toMatchObject({ errorMessage: expect.stringContaining('451'), errorTimestamp: expect.any(String) });
    expect(status.claimedBy).toBeUndefined();
    expect(status.errorPermanent).toBeUndefined();
    failing = false;
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'sent', resent: false });
    expect(store.peek(ref)!.status!.errorMessage).toBeUndefined();
    expect(await listMail(sink!.dir)).toHaveLength(1);
  });

  it('a permanent 550: error recorded, not retried, replays do nothing', async () => {
    let rcpt = 0;
    const { delivery, ref, store } = await setup({ faults: { rcptTo: () => (++rcpt, { code: 550, message: 'No such user' }) } });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'failed' });
    expect(store.peek(ref)!.status).toMatchObject({ errorMessage: expect.stringContaining('550'), errorPermanent: true, lastGeneration: 1 });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'already-failed' });
    expect(rcpt).toBe(1);
  });

  it('a live claim of another instance: retry later, with the lease\'s remaining time', async () => {
    const { delivery, ref, store } = await setup();
    const email = store.peek(ref)!;
    await store.claim(ref, email.metadata.resourceVersion!, { claimedBy: 'other', claimedTimestamp: new Date().toISOString(), messageId: 'x' });
    const outcome = await delivery.deliver(ref);
    expect(outcome).toMatchObject({ outcome: 'retry-later', reason: 'claimed-elsewhere' });
    expect((outcome as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(3_000);
    expect(await listMail(sink!.dir)).toHaveLength(0);
  });

  it('an abandoned claim without sentTimestamp: logged as the window, re-sent with the same Message-ID', async () => {
    const { delivery, ref, store, lines, email } = await setup();
    const stored = store.peek(ref)!;
    await store.claim(ref, stored.metadata.resourceVersion!, { claimedBy: 'dead', claimedTimestamp: new Date(Date.now() - 60_000).toISOString(), messageId: 'x' });
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'sent', resent: true });
    const window = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['window'] === 'claim-without-sentTimestamp');
    expect(window).toHaveLength(1);
    expect(window[0]).toMatchObject({ level: 40, holder: 'dead', messageId: messageIdFor(email.metadata.uid) });
  });

  it('a malformed stored Email: invalid, recorded as a permanent error, nothing sent', async () => {
    const { delivery, store } = await setup();
    const bad = store.put(emailObject({ spec: { toAddress: 'not-an-address' } }));
    const ref = { namespace: bad.metadata.namespace, name: bad.metadata.name };
    expect(await delivery.deliver(ref)).toMatchObject({ outcome: 'invalid', problems: ['spec.toAddress: not an email address'] });
    expect(store.peek(ref)!.status).toMatchObject({ errorPermanent: true });
    expect(await listMail(sink!.dir)).toHaveLength(0);
  });

  it('a deleted Email, or one replaced under the same name, is gone', async () => {
    const { delivery, store, ref, email } = await setup();
    expect(await delivery.deliver(ref, 'another-uid')).toMatchObject({ outcome: 'gone' });
    store.delete(ref);
    expect(await delivery.deliver(ref, email.metadata.uid)).toMatchObject({ outcome: 'gone' });
  });
});
