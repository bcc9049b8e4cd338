/**
 * One exponential backoff with jitter for every retry loop in the runtime
 * and the packages on it (informers, watchers, the work queue's per-key
 * limiter, the trigger's deliveries): the n-th retry waits
 * min(maxMs, baseMs·factorⁿ⁻¹), of which the `jitter` fraction is random.
 *
 * Jitter keeps many clients that failed together (the apiserver restarted)
 * from retrying in lockstep. 0.5 is "equal jitter" (half fixed, half
 * random: never much shorter than the plain delay), 1 "full jitter"
 * (anywhere from 0 to the delay), 0 none (the work queue's deterministic
 * client-go limiter).
 */

export interface BackoffSpec {
  /** The first retry's delay. */
  baseMs: number;
  /** The cap. */
  maxMs: number;
  /** Growth per retry. Default 2. */
  factor?: number;
  /** The random fraction of each delay, in [0, 1]. Default 0.5 (equal jitter). */
  jitter?: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. Default Math.random. */
  random?: () => number;
}

/** The delay before retry number `attempt` (1 = the first retry; 0 or less counts as 1). */
export type Backoff = (attempt: number) => number;

export function backoff(spec: BackoffSpec): Backoff {
  const factor = spec.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, spec.jitter ?? 0.5));
  const random = spec.random ?? Math.random;
  return (attempt) => {
    if (spec.baseMs <= 0) return 0;
    const exponent = Math.max(0, attempt - 1);
    // factor ** exponent overflows to Infinity for long outages; Math.min caps it.
    const capped = Math.min(spec.maxMs, spec.baseMs * factor ** exponent);
    return capped * (1 - jitter) + capped * jitter * random();
  };
}
