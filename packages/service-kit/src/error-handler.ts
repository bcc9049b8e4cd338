/**
 * Answering a request that failed. A package's own errors carry text written
 * for the caller. Anything else is either fastify's refusal (404, 413, 415…,
 * fixed texts that never quote the body) or a fault whose text may quote
 * data, a password even; a 5xx answer never carries that text, only the log
 * does.
 */

/** An error as fastify hands it to the error handler. */
export interface RequestFailure extends Error {
  /** fastify's status for its refusals. */
  statusCode?: number;
  code?: string;
}

/** The package's own error class, as the JSON servers use it (WebhooksError, FunctionsError). */
export interface AnsweredError extends Error {
  code: string;
  hint?: string | undefined;
  /** Unset: 500. */
  httpStatus?: number | undefined;
}

/** The parts of fastify's request and reply the handler uses. */
export interface RequestLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
export interface JsonReply {
  code(status: number): JsonReply;
  send(body: unknown): JsonReply;
}

/** fastify's status for its refusals (4xx); 500 for anything else. */
export function failureStatus(error: RequestFailure): number {
  return typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
}

/** A fault as an error with its text, for whoever runs the server; a refusal as a warning. */
export function logFailure(log: RequestLog, error: RequestFailure, status: number): void {
  if (status >= 500) log.error({ code: error.code, statusCode: status, err: error.message }, 'request failed');
  else log.warn({ code: error.code, statusCode: status }, error.message);
}

export interface JsonErrorHandlerOptions {
  /** `error instanceof` the package's error class. */
  isOwn(error: unknown): error is AnsweredError;
  /** Counts refused requests by reason: the error's code, or BODY_TOO_LARGE. */
  rejected: { inc(labels: { reason: string }): void };
}

/** fastify's error handler for a server that answers `{code, message, hint?}` in JSON. */
export function jsonErrorHandler(
  options: JsonErrorHandlerOptions,
): (error: RequestFailure, request: { log: RequestLog }, reply: JsonReply) => JsonReply {
  return (error, request, reply) => {
    if (options.isOwn(error)) {
      const status = error.httpStatus ?? 500;
      options.rejected.inc({ reason: error.code });
      request.log.warn({ code: error.code, statusCode: status }, error.message);
      return reply
        .code(status)
        .send({ code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) });
    }
    const status = failureStatus(error);
    if (status === 413) options.rejected.inc({ reason: 'BODY_TOO_LARGE' });
    logFailure(request.log, error, status);
    return reply
      .code(status)
      .send({ code: error.code ?? 'INTERNAL', message: status >= 500 ? 'internal error' : error.message });
  };
}
