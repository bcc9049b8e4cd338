/**
 * Capped exponential backoff with jitter. Each delay is drawn between half
 * and all of min(cap, initial·2^(attempt-1)) ("equal jitter"): never zero,
 * so a failing server is not hammered, and spread out, so many Emails that
 * failed together do not retry in lockstep.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 4_000 };

/** The delay before retry number `attempt` (1 = the first retry). `random` in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
