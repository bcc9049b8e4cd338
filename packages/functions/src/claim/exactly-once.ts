/**
 * The email function's exactly-once protocol (docs/design.md "The registration
 * flow", step 6). The trigger delivers each Email at least once, maybe many
 * times, maybe concurrently; this turns that into one SMTP send per Email,
 * except in one documented window.
 *
 * For one Email (read fresh from the API, never trusted from the event):
 * 1. `status.sentTimestamp` set → done, never send again.
 * 2. `errorPermanent` for the current generation → done (a 5xx or a
 *    malformed spec does not get better by replaying).
 * 3. A claim by another instance younger than the claim lease → someone is
 *    sending right now: answer "retry later" (not "done": if that holder
 *    dies, only a retry gets the Email out).
 * 4. A claim of our own instance (an attempt of ours that ended without
 *    recording an outcome), or one older than the lease (its holder died):
 *    THE WINDOW. The holder may have crashed after SMTP accepted and before
 *    `sentTimestamp` was written, so the mail may already be out. We cannot
 *    know; the design chooses "at least once" here: log it, take the claim over
 *    and re-send with the same Message-ID, so the duplicate is recognisable.
 * 5. Claim with a resourceVersion precondition. A 409 means another writer
 *    got there first: re-read and decide again (bounded).
 * 6. Send. Success → `sentTimestamp` (retried a few times: each failure
 *    here widens the window). Permanent failure → error, done. Transient →
 *    error, release the claim, "retry later" so the trigger tries again.
 *
 * Concurrent calls for the same Email in one process share one run, and a
 * call for an Email (by UID) that this process saw with `sentTimestamp`, or
 * recorded it on, is answered "already sent" without reading it again:
 * step 1 from memory. The trigger delivers the Email again for each status
 * write (the claim, then `sentTimestamp`), so this spares a GET per write;
 * `sentTimestamp` is never removed, so the answer cannot go stale.
 *
 * Every write also sets the `Sent` condition (Sending, Accepted, SendFailed,
 * Rejected, Invalid), computed here from the conditions of the Email it
 * read, so `lastTransitionTime` moves only when `status` flips.
 */
import { randomUUID } from 'node:crypto';
import { type Condition, setCondition } from '@cnpaas/kube';
import { SENT_CONDITION, checkEmailObject, type EmailObject, type SentReason } from '../email-resource.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { buildMessage, messageIdFor } from '../email/message.js';
import { SendError, type EmailSender } from '../email/sender.js';
import type { Personalised } from '../email/verification-link.js';
import type { EmailRef, EmailStatusStore } from './email-status-store.js';

export type DeliveryOutcome =
  | { outcome: 'sent'; messageId: string; attempts: number; resent: boolean }
  | { outcome: 'already-sent'; messageId: string }
  | { outcome: 'already-failed'; messageId: string }
  | { outcome: 'failed'; messageId: string; message: string }
  | { outcome: 'gone' }
  | { outcome: 'invalid'; problems: string[] }
  | {
      outcome: 'retry-later';
      reason: 'claimed-elsewhere' | 'send-failed' | 'conflicts' | 'not-ready';
      retryAfterMs: number;
      messageId?: string;
    };

export interface EmailDeliveryOptions {
  store: EmailStatusStore;
  sender: Pick<EmailSender, 'send' | 'deadlineMs'>;
  log: Logger;
  /** Names this process in `status.claimedBy`; default a random UUID (a new one per process start). */
  instanceId?: string;
  /** A foreign claim younger than this is live. Must exceed the send deadline; default 30 s. */
  claimLeaseMs?: number;
  /**
   * What the mail gets at send time that the stored Email must not hold (the verification link,
   * email/verification-link.ts); applied before the claim, so a key that cannot be read leaves no claim.
   */
  personalise?: (email: EmailObject) => Promise<Personalised>;
  /** Retry-After for transient send failures; default 5 s. */
  retryAfterMs?: number;
  now?: () => number;
}

export const DEFAULT_CLAIM_LEASE_MS = 30_000;
const MAX_ROUNDS = 5;
const MARK_SENT_TRIES = 3;
/** UIDs of Emails known sent that a process remembers; the oldest are forgotten first (and then read again). */
const REMEMBERED_SENT = 4096;

export class EmailDelivery {
  readonly instanceId: string;
  readonly #options: EmailDeliveryOptions;
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, Promise<DeliveryOutcome>>();
  /** UIDs of Emails with sentTimestamp, in the order learnt (a Set iterates oldest first). */
  readonly #sentUids = new Set<string>();

  constructor(options: EmailDeliveryOptions) {
    this.#options = options;
    this.instanceId = options.instanceId ?? randomUUID();
    this.#leaseMs = options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
    this.#now = options.now ?? Date.now;
    // A lease shorter than a send lets a second instance take over a claim whose holder is still sending.
    if (this.#leaseMs <= options.sender.deadlineMs) {
      throw new RangeError(
        `claimLeaseMs (${this.#leaseMs}) must exceed the send deadline (${options.sender.deadlineMs})`,
      );
    }
  }

  /** Delivers the Email `ref` names; `uid` (from the event) skips a different Email that reuses the name. */
  deliver(ref: EmailRef, uid?: string): Promise<DeliveryOutcome> {
    if (uid !== undefined && this.#sentUids.has(uid))
      return Promise.resolve({ outcome: 'already-sent', messageId: messageIdFor(uid) });
    const key = `${ref.namespace}/${ref.name}`;
    const running = this.#inFlight.get(key);
    if (running) return running;
    const run = this.#deliver(ref, uid).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, run);
    return run;
  }

  async #deliver(ref: EmailRef, uid: string | undefined): Promise<DeliveryOutcome> {
    const { store, sender } = this.#options;
    const log = this.#options.log.child({ namespace: ref.namespace, name: ref.name });
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const email = await store.get(ref);
      if (!email || (uid !== undefined && email.metadata?.uid !== uid)) {
        log.info({ uid }, 'Email no longer exists; nothing to send');
        return { outcome: 'gone' };
      }
      const checked = checkEmailObject(email);
      if (!checked.ok) {
        log.warn({ problems: checked.problems }, 'Email is malformed; not sending');
        if (email.metadata?.uid && email.status?.errorPermanent !== true) {
          const message = `Invalid Email: ${checked.problems.join('; ')}`;
          await store.recordError(ref, {
            message,
            timestamp: this.#iso(),
            permanent: true,
            generation: email.metadata.generation,
            releaseClaim: false,
            conditions: this.#sent(email, 'False', 'Invalid', message),
          });
        }
        return { outcome: 'invalid', problems: checked.problems };
      }
      const { metadata, status = {} } = email;
      const messageId = messageIdFor(metadata.uid);
      const logId = { uid: metadata.uid, messageId };
      if (status.sentTimestamp) {
        this.#rememberSent(metadata.uid);
        log.info({ ...logId, sentTimestamp: status.sentTimestamp }, 'already sent; skipping');
        return { outcome: 'already-sent', messageId };
      }
      if (status.errorPermanent && status.observedGeneration === metadata.generation) {
        log.info(logId, 'failed permanently before; skipping');
        return { outcome: 'already-failed', messageId };
      }

      let resent = false;
      if (status.claimedBy) {
        const age = this.#now() - Date.parse(status.claimedTimestamp ?? '');
        const live = status.claimedBy !== this.instanceId && !(age >= this.#leaseMs);
        if (live) {
          const retryAfterMs = Number.isFinite(age) ? Math.max(1_000, this.#leaseMs - Math.max(0, age)) : this.#leaseMs;
          log.info({ ...logId, holder: status.claimedBy, claimAgeMs: age }, 'claimed by another instance; retry later');
          return { outcome: 'retry-later', reason: 'claimed-elsewhere', retryAfterMs, messageId };
        }
        resent = true;
        log.warn(
          {
            ...logId,
            holder: status.claimedBy,
            claimedTimestamp: status.claimedTimestamp,
            claimAgeMs: age,
            window: 'claim-without-sentTimestamp',
          },
          'found a claim without sentTimestamp: its holder stopped after claiming, maybe after SMTP accepted; re-sending with the same Message-ID',
        );
      }

      const personalised: Personalised = this.#options.personalise
        ? await this.#options.personalise(email)
        : { ok: true, email };
      if (!personalised.ok) {
        const message = `Cannot make the verification link: ${personalised.message}`;
        log.warn({ ...logId, permanent: personalised.permanent }, 'cannot make the verification link; not sending');
        if (personalised.permanent) {
          await store.recordError(ref, {
            message,
            timestamp: this.#iso(),
            permanent: true,
            generation: metadata.generation,
            releaseClaim: false,
            conditions: this.#sent(email, 'False', 'Invalid', message),
          });
          return { outcome: 'invalid', problems: [personalised.message] };
        }
        return {
          outcome: 'retry-later',
          reason: 'not-ready',
          retryAfterMs: this.#options.retryAfterMs ?? 5_000,
          messageId,
        };
      }

      const claimed = await store.claim(ref, metadata.resourceVersion ?? '', {
        claimedBy: this.instanceId,
        claimedTimestamp: this.#iso(),
        messageId,
        conditions: this.#sent(email, 'False', 'Sending', `claimed by function instance ${this.instanceId}; sending`),
      });
      if (claimed === 'conflict') {
        log.debug({ ...logId, round }, 'claim lost a race (409); reading again');
        continue;
      }

      let attempts: number;
      try {
        ({ attempts } = await sender.send(buildMessage(personalised.email)));
      } catch (err) {
        if (!(err instanceof SendError)) throw err;
        const permanent = err.kind === 'permanent';
        const message = `Failed to send email: ${err.message}`;
        const recorded = await store.recordError(ref, {
          message,
          timestamp: this.#iso(),
          permanent,
          generation: metadata.generation,
          releaseClaim: true,
          resourceVersion: claimed.metadata.resourceVersion,
          conditions: permanent
            ? this.#sent(claimed, 'False', 'Rejected', message)
            : this.#sent(claimed, 'False', 'SendFailed', `${message}; will retry`),
        });
        log.warn(
          { ...logId, kind: err.kind, smtpCode: err.responseCode, attempts: err.attempts, recorded },
          'send failed',
        );
        if (permanent) return { outcome: 'failed', messageId, message: err.message };
        return {
          outcome: 'retry-later',
          reason: 'send-failed',
          retryAfterMs: this.#options.retryAfterMs ?? 5_000,
          messageId,
        };
      }

      const conditions = this.#sent(claimed, 'True', 'Accepted', `the SMTP server accepted it as ${messageId}`);
      await this.#markSent(
        ref,
        { sentTimestamp: this.#iso(), messageId, generation: metadata.generation, conditions },
        log,
      );
      this.#rememberSent(metadata.uid);
      log.info({ ...logId, attempts, resent }, 'sent');
      return { outcome: 'sent', messageId, attempts, resent };
    }
    return { outcome: 'retry-later', reason: 'conflicts', retryAfterMs: 1_000 };
  }

  async #markSent(ref: EmailRef, sent: Parameters<EmailStatusStore['markSent']>[1], log: Logger): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#options.store.markSent(ref, sent);
      } catch (err) {
        // Until this write lands, a replay finds our claim without sentTimestamp and sends again.
        log.error(
          { messageId: sent.messageId, attempt, err: errorMessage(err) },
          'sent, but cannot record sentTimestamp',
        );
        if (attempt >= MARK_SENT_TRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  #rememberSent(uid: string): void {
    this.#sentUids.add(uid);
    if (this.#sentUids.size > REMEMBERED_SENT) this.#sentUids.delete(this.#sentUids.values().next().value as string);
  }

  /** `email`'s conditions with Sent set for its generation (apimachinery's SetStatusCondition rules). */
  #sent(email: EmailObject, status: 'True' | 'False', reason: SentReason, message: string): Condition[] {
    const generation = email.metadata.generation;
    const sent = {
      type: SENT_CONDITION,
      status,
      reason,
      message,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    return setCondition(email.status?.conditions, sent, { now: new Date(this.#now()) }).conditions;
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}
