/**
 * JSON request bodies that never reach an answer or a log line. V8's
 * JSON.parse errors quote the text around the fault, a request body may hold
 * a password, and fastify's own JSON parser passes that text on; this one
 * answers 400 with a fixed message instead.
 */
import type { ErrorFactory } from './errors.js';

type Done = (err: Error | null, body?: unknown) => void;

/** The part of a fastify instance this uses: the kit does not load fastify. */
export interface ContentTypeParsers {
  removeContentTypeParser(contentType: string): unknown;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'string' },
    parser: (request: unknown, body: string | Buffer, done: Done) => void,
  ): unknown;
}

export interface ParseJsonBodiesOptions {
  error: ErrorFactory<'BODY_NOT_JSON'>;
  /**
   * Read a body of any Content-Type as JSON, not only application/json:
   * for a server behind kube-apiserver, since `kubectl create --raw -f`
   * labels the file with its own client's content type, not the file's.
   */
  anyContentType?: boolean;
}

/** Replaces the app's application/json parser; a body that is not JSON becomes the package's BODY_NOT_JSON error (400). */
export function parseJsonBodies(app: ContentTypeParsers, options: ParseJsonBodiesOptions): void {
  const contentType = options.anyContentType ? '*' : 'application/json';
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(contentType, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(options.error('BODY_NOT_JSON', 'request body is not valid JSON', { httpStatus: 400 }), undefined);
    }
  });
}
