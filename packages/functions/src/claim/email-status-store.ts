/**
 * What the exactly-once protocol (exactly-once.ts) needs from the Kubernetes
 * API, as a small interface: the protocol is pure logic over it, tested
 * against the in-memory store, and runs against the apiserver through
 * KubeEmailStatusStore.
 *
 * Every write goes to the Email's status. `claim` is the only conditional
 * write that matters for correctness: it must succeed only while the Email
 * is still at the resourceVersion the caller read (the apiserver's
 * optimistic concurrency), so of two callers that read the same version at
 * most one claims.
 *
 * Each record carries the whole new `status.conditions` list, computed by the
 * protocol from the Email it read: a merge patch replaces lists whole, and
 * the function is the only writer of Email conditions, so nothing is lost.
 */
import type { Condition } from '@cnpaas/kube';
import type { EmailObject } from '../email-resource.js';

export interface EmailRef {
  namespace: string;
  name: string;
}

export interface ClaimRecord {
  /** The function instance that sends. */
  claimedBy: string;
  claimedTimestamp: string;
  messageId: string;
  conditions: Condition[];
}

export interface SentRecord {
  sentTimestamp: string;
  messageId: string;
  generation: number | undefined;
  conditions: Condition[];
}

export interface ErrorRecord {
  message: string;
  timestamp: string;
  /** Replays of this generation do nothing more (errorPermanent). */
  permanent: boolean;
  generation: number | undefined;
  /** Drop claimedBy/claimedTimestamp so the next attempt need not wait for the claim lease. */
  releaseClaim: boolean;
  /** Write only while the Email is still at this version (our own claim); undefined: unconditionally. */
  resourceVersion?: string | undefined;
  conditions: Condition[];
}

export interface EmailStatusStore {
  /** The Email as stored now (a consistent read, not a cache), or undefined when it does not exist. */
  get(ref: EmailRef): Promise<EmailObject | undefined>;
  /** Writes the claim iff the Email is still at `resourceVersion`; 'conflict' (HTTP 409) when someone wrote first. */
  claim(ref: EmailRef, resourceVersion: string, claim: ClaimRecord): Promise<EmailObject | 'conflict'>;
  /** Records that SMTP accepted the message: status.sentTimestamp, messageId, observedGeneration; clears any error. Unconditional. */
  markSent(ref: EmailRef, sent: SentRecord): Promise<void>;
  /** status.errorMessage/errorTimestamp (and errorPermanent); 'conflict' when `resourceVersion` no longer matches. */
  recordError(ref: EmailRef, error: ErrorRecord): Promise<'recorded' | 'conflict'>;
}

/** Which of the protocol's writes a status patch is: the stores name their failures and fault points by it. */
export type StatusWrite = 'claim' | 'sent' | 'error';

/** One write of the protocol as the apiserver takes it: a merge patch on /status, maybe conditional. */
export interface StatusPatch {
  write: StatusWrite;
  /** Apply only while the Email is still at this version; undefined: unconditionally. */
  resourceVersion?: string | undefined;
  /** RFC 7386: null removes a field. */
  status: Record<string, unknown>;
}

/**
 * The protocol's three writes, each made once here from its record: the
 * claim and an error record are conditional on the version the caller read,
 * sentTimestamp is not. A store supplies the read and the one status patch
 * the apiserver offers (KubeEmailStatusStore over HTTP, the in-memory store
 * with its fault points).
 */
export abstract class StatusPatchStore implements EmailStatusStore {
  abstract get(ref: EmailRef): Promise<EmailObject | undefined>;

  /** Applies the patch; 'conflict' when it is conditional and the Email has moved on (HTTP 409). */
  protected abstract patchStatus(ref: EmailRef, patch: StatusPatch): Promise<EmailObject | 'conflict'>;

  claim(ref: EmailRef, resourceVersion: string, claim: ClaimRecord): Promise<EmailObject | 'conflict'> {
    return this.patchStatus(ref, { write: 'claim', resourceVersion, status: claimPatch(claim) });
  }

  async markSent(ref: EmailRef, sent: SentRecord): Promise<void> {
    await this.patchStatus(ref, { write: 'sent', status: sentPatch(sent) });
  }

  async recordError(ref: EmailRef, error: ErrorRecord): Promise<'recorded' | 'conflict'> {
    const patch = { write: 'error', resourceVersion: error.resourceVersion, status: errorPatch(error) } as const;
    return (await this.patchStatus(ref, patch)) === 'conflict' ? 'conflict' : 'recorded';
  }
}

/** The status merge patches of the three writes (RFC 7386: null removes a field). */
export function claimPatch(claim: ClaimRecord): Record<string, unknown> {
  return {
    claimedBy: claim.claimedBy,
    claimedTimestamp: claim.claimedTimestamp,
    messageId: claim.messageId,
    conditions: claim.conditions,
  };
}

export function sentPatch(sent: SentRecord): Record<string, unknown> {
  return {
    sentTimestamp: sent.sentTimestamp,
    messageId: sent.messageId,
    ...(sent.generation !== undefined ? { observedGeneration: sent.generation } : {}),
    conditions: sent.conditions,
    errorMessage: null,
    errorTimestamp: null,
    errorPermanent: null,
  };
}

export function errorPatch(error: ErrorRecord): Record<string, unknown> {
  return {
    errorMessage: error.message,
    errorTimestamp: error.timestamp,
    errorPermanent: error.permanent ? true : null,
    ...(error.generation !== undefined ? { observedGeneration: error.generation } : {}),
    conditions: error.conditions,
    ...(error.releaseClaim ? { claimedBy: null, claimedTimestamp: null } : {}),
  };
}
