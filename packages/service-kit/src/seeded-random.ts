/**
 * mulberry32, a small seeded generator of numbers in [0, 1): a randomised
 * test draws from it and prints its seed, so a failing run can be replayed
 * exactly. Not for anything that needs unpredictable numbers.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
