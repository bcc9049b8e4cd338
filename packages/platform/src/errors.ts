/**
 * The error registry of the platform. Every error that reaches the person
 * running `cnpaas` has a stable `CNPAAS_PLATFORM_*` code, says what went wrong
 * and what to do about it.
 */
export type PlatformErrorCode =
  | 'CNPAAS_PLATFORM_USAGE'
  | 'CNPAAS_PLATFORM_BINARY_NOT_FOUND'
  | 'CNPAAS_PLATFORM_BINARY_VERSION'
  | 'CNPAAS_PLATFORM_BUILD_FAILED'
  | 'CNPAAS_PLATFORM_PORT_IN_USE'
  | 'CNPAAS_PLATFORM_STATE'
  | 'CNPAAS_PLATFORM_PKI'
  | 'CNPAAS_PLATFORM_COMPONENT_FAILED'
  | 'CNPAAS_PLATFORM_NOT_RUNNING'
  | 'CNPAAS_PLATFORM_TIMEOUT';

export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  constructor(
    readonly code: PlatformErrorCode,
    message: string,
    /** What the person should do next. */
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One line for humans: the message, then the hint. */
export function describeError(err: unknown): string {
  if (err instanceof PlatformError) {
    return err.hint ? `${err.message}\n  fix: ${err.hint}` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
