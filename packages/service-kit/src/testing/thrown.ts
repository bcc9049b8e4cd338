/**
 * The error of class `type` that `fn` throws, for a test that asserts on a
 * refusal's code, message or hint (`fn` is synchronous). Any other error it throws is rethrown as
 * it is, and `fn` returning is a failure: a refusal that did not happen.
 */
export function thrown<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}
