/**
 * The error `fn` throws, for a test to read its code, message and hint. Only
 * an instance of `type` (the package's error class) counts: any other error
 * is thrown on, so a TypeError in the code under test is not taken for a
 * refusal, and a call that returns is a failure of its own.
 */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error(`expected ${type.name} to be thrown, but the call returned`);
}
