/** Helpers for this package's tests (not built). */
import { ServiceError, type ErrorFactory } from './errors.js';

/** What a package's error registry would be: its class, and its ErrorFactory under the codes TEST_*. */
export class TestError extends ServiceError {
  static override readonly brand = Symbol.for('cnpaas.service-kit.test.TestError');
  override readonly name = 'TestError';
  readonly httpStatus: number | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown; httpStatus?: number } = {}) {
    super(code, message, options);
    this.httpStatus = options.httpStatus;
  }
}

export const testError: ErrorFactory = (kind, message, options) => new TestError(`TEST_${kind}`, message, options);

/** The TestError `fn` throws or rejects with. */
export async function caught(fn: () => unknown): Promise<TestError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof TestError) return err;
    throw err;
  }
  throw new Error('expected a TestError');
}
