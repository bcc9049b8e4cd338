import { expect } from 'vitest';
import { ApiServerError } from '../errors.js';

/** What a client sees of a refused call: the error code, the HTTP status and the message. */
export interface Refusal {
  code: string;
  status: number;
  message: string;
}

/** Awaits a call that must fail with an ApiServerError, and returns what its Status says. */
export async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiServerError);
  const e = err as ApiServerError;
  return { code: e.code, status: e.status!.code, message: e.status!.message };
}
