/**
 * Capped exponential backoff with jitter. Each delay is drawn between half
 * and all of min(cap, initial·2^(attempt-1)) ("equal jitter"): never zero,
 * so a failing server is not hammered, and spread out, so many Emails that
 * failed together do not retry in lockstep.
 *
 * The formula is @cnpaas/kube's `backoff()`; this names the email
 * function's policy and rounds to whole milliseconds.
 */
import { backoff } from '@cnpaas/kube';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 4_000 };

/** The delay before retry number `attempt` (1 = the first retry). `random` in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.round(backoff({ baseMs: policy.initialMs, maxMs: policy.maxMs, jitter: 0.5, random })(attempt));
}
