/** A server that takes JSON and answers `{code, message, hint?}` in JSON: the body parser in, the error handler out. */
import {
  jsonErrorHandler,
  type JsonErrorHandlerOptions,
  type JsonReply,
  type RequestFailure,
  type RequestLog,
} from './error-handler.js';
import type { ErrorFactory } from './errors.js';
import { parseJsonBodies, type ContentTypeParsers } from './json-body.js';

/** The parts of a fastify instance this uses: the kit does not load fastify. */
export interface JsonApp extends ContentTypeParsers {
  setErrorHandler(
    handler: (error: RequestFailure, request: { log: RequestLog }, reply: JsonReply) => JsonReply,
  ): unknown;
}

export interface ServeJsonOptions extends JsonErrorHandlerOptions {
  /** The package's BODY_NOT_JSON error. */
  error: ErrorFactory<'BODY_NOT_JSON'>;
}

export function serveJson(app: JsonApp, options: ServeJsonOptions): void {
  parseJsonBodies(app, { error: options.error });
  app.setErrorHandler(jsonErrorHandler(options));
}
