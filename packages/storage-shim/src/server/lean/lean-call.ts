import { EventEmitter } from 'node:events';
import type * as http2 from 'node:http2';
import { CONNECTION } from '../connection.js';
import { FrameError, MessageReader, frameMessage, parseGrpcTimeout } from './frames.js';

/**
 * One gRPC call served straight on its HTTP/2 stream, for the methods the
 * lean path takes over (lean-paths.ts). It speaks what grpc-js speaks, down
 * to the status texts: response headers, one message per 5-byte frame,
 * `grpc-status`/`grpc-message` trailers (or a trailers-only answer when
 * nothing was sent), `grpc-timeout` deadlines, cancellation when the client
 * resets the stream. What it leaves out is grpc-js's per-call machinery:
 * the interceptor chain, the Metadata object, the read queue.
 */

/** gRPC status codes used here (grpc.status), as numbers so the hot path needs no lookup. */
const OK = 0;
const CANCELLED = 1;
const UNKNOWN = 2;
const DEADLINE_EXCEEDED = 4;
const UNIMPLEMENTED = 12;
const INTERNAL = 13;

/** grpc-js's response headers, so a client cannot tell the paths apart. */
const RESPONSE_HEADERS: http2.OutgoingHttpHeaders = {
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
};
/** The same as a raw name/value list, which Node sends without building and checking a header object per call. */
const RESPONSE_HEADERS_RAW: readonly string[] = Object.entries(RESPONSE_HEADERS).flatMap(([name, value]) => [
  name,
  String(value),
]);
const OK_TRAILERS: http2.OutgoingHttpHeaders = { 'grpc-status': '0', 'grpc-message': 'OK' };

/** What a method of the lean path needs: how to read its request and write its response. */
export interface LeanCodec {
  path: string;
  decode(message: Buffer): unknown;
  encode(response: unknown): Buffer;
}

/** An error as handlers hand it to grpc-js's callback: a gRPC code and details. */
export interface CallError {
  code?: number;
  details?: string;
  message?: string;
}

function statusOf(err: CallError): { code: number; details: string } {
  if (typeof err.code === 'number' && Number.isInteger(err.code))
    return { code: err.code, details: typeof err.details === 'string' ? err.details : (err.message ?? '') };
  return { code: UNKNOWN, details: err.message ?? 'Unknown Error' };
}

function peerOf(stream: http2.ServerHttp2Stream): string {
  const socket = stream.session?.socket;
  if (!socket?.remoteAddress) return 'unknown';
  return socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : socket.remoteAddress;
}

/** The stream side every call shares: headers once, messages, one status, the deadline, cancellation. */
class CallStream {
  #headersSent = false;
  /** Set once a status went out or the stream closed: nothing more is sent. */
  done = false;
  #timer: NodeJS.Timeout | undefined;
  /** Set once the handler has heard that the call is over. */
  #cancelNotified = false;
  /** What the trailers will say once the response ends: OK unless a status said otherwise. */
  #trailers: http2.OutgoingHttpHeaders = OK_TRAILERS;
  readonly reader: MessageReader;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    maxReceiveBytes: number,
    private readonly onCancel: () => void,
  ) {
    this.reader = new MessageReader(maxReceiveBytes);
    // Errors on the stream are followed by 'close', which ends the call; without a listener they would throw.
    stream.on('error', () => {});
    stream.once('close', () => {
      if (this.#timer) clearTimeout(this.#timer);
      // Closed before a status went out (the client reset the stream, or the
      // connection went), or after one: either way the call is over, and
      // like grpc-js the handler hears it once, so a stream ended by an
      // error status (a framing error, a bad timeout) releases what it holds.
      this.done = true;
      this.#notifyCancel();
    });
    const timeout = headers['grpc-timeout'];
    if (typeof timeout === 'string') {
      const ms = parseGrpcTimeout(timeout);
      if (ms === undefined) {
        process.nextTick(() => this.sendStatus(INTERNAL, `Invalid grpc-timeout value "${timeout}"`));
      } else {
        this.#timer = setTimeout(() => {
          if (!this.done) this.sendStatus(DEADLINE_EXCEEDED, 'Deadline exceeded');
        }, ms);
        this.#timer.unref();
      }
    }
  }

  #notifyCancel(): void {
    if (this.#cancelNotified) return;
    this.#cancelNotified = true;
    this.onCancel();
  }

  /** Messages completed by a DATA chunk; a framing error ends the call with its status. */
  messages(chunk: Buffer): Buffer[] {
    try {
      return this.reader.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.sendStatus(err.code, err.message);
      return [];
    }
  }

  #respond(): void {
    if (this.#headersSent) return;
    this.#headersSent = true;
    this.stream.respond(RESPONSE_HEADERS_RAW, { waitForTrailers: true });
    this.stream.once('wantTrailers', () => this.stream.sendTrailers(this.#trailers));
  }

  /** Sends one message; `callback` runs once HTTP/2 has taken it (flow control holds it back while the client does not read). */
  send(message: Buffer, callback?: () => void): boolean {
    if (this.done || this.stream.destroyed) return false;
    this.#respond();
    return this.stream.write(frameMessage(message), callback);
  }

  /** The one response of a unary call and its OK status, in one go. */
  sendLast(message: Buffer): void {
    if (this.done || this.stream.destroyed) return;
    this.done = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#respond();
    this.stream.end(frameMessage(message));
  }

  sendStatus(code: number, details: string): void {
    if (this.done) return;
    this.done = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.stream.destroyed || this.stream.closed) return this.#notifyCancel();
    if (this.#headersSent) {
      if (code !== OK) this.#trailers = { 'grpc-status': String(code), 'grpc-message': encodeURI(details) };
      this.stream.end();
    } else {
      // Trailers-only: no message went out, so the status travels in the headers.
      this.stream.respond(
        { ...RESPONSE_HEADERS, 'grpc-status': String(code), 'grpc-message': encodeURI(details) },
        { endStream: true },
      );
    }
    // Drain whatever the client still sends, so its stream can close.
    this.stream.resume();
    // The call is over once its status is out, even while the client keeps
    // its side open: the handler releases what it holds now (grpc-js too).
    this.#notifyCancel();
  }

  sendError(err: CallError): void {
    const { code, details } = statusOf(err);
    this.sendStatus(code, details);
  }
}

/**
 * Serves a unary call: the request is the one message before the client's
 * half-close; the handler gets `{ request }` and a grpc-js style callback.
 */
export function serveUnary(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  options: {
    codec: LeanCodec;
    maxReceiveBytes: number;
    handler: (
      call: { request: unknown; getPeer(): string },
      callback: (err: CallError | null, res?: unknown) => void,
    ) => void;
  },
): void {
  const { codec, handler } = options;
  const call = new CallStream(stream, headers, options.maxReceiveBytes, () => {});
  let request: Buffer | undefined;
  let extra = false;
  stream.on('data', (chunk: Buffer) => {
    if (call.done) return;
    for (const m of call.messages(chunk)) {
      if (request === undefined) request = m;
      else extra = true;
    }
  });
  stream.on('end', () => {
    if (call.done) return;
    if (extra)
      return call.sendStatus(
        UNIMPLEMENTED,
        `Received a second request message for server streaming method ${codec.path}`,
      );
    if (request === undefined)
      return call.sendStatus(UNIMPLEMENTED, `Received no request message for server streaming method ${codec.path}`);
    if (call.reader.pendingBytes > 0) return call.sendStatus(INTERNAL, 'Received a truncated message');
    let decoded: unknown;
    try {
      decoded = codec.decode(request);
    } catch {
      return call.sendStatus(INTERNAL, 'Error deserializing request');
    }
    handler({ request: decoded, getPeer: () => peerOf(stream) }, (err, res) => {
      if (call.done) return;
      if (err) return call.sendError(err);
      let out: Buffer;
      try {
        out = codec.encode(res);
      } catch {
        return call.sendStatus(INTERNAL, 'Error serializing response');
      }
      call.sendLast(out);
    });
  });
}

/**
 * A bidirectional call as grpc-js hands it to a handler, for what the
 * store's stream handlers use of it: 'data' per request, 'end' at the
 * client's half-close, 'cancelled' once when the call is over (the client
 * went away, the deadline passed, or a status ended it; as in grpc-js also
 * after a normal end), 'close' when the stream is gone; write(message, callback), end(),
 * destroy(error), getPeer(). `[CONNECTION]` names the HTTP/2 session, for
 * per-connection limits (connection.ts).
 */
export class LeanDuplexCall extends EventEmitter {
  readonly #call: CallStream;
  readonly [CONNECTION]: object;
  cancelled = false;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    private readonly options: { codec: LeanCodec; maxReceiveBytes: number },
  ) {
    super();
    this[CONNECTION] = stream.session ?? stream;
    this.#call = new CallStream(stream, headers, options.maxReceiveBytes, () => {
      this.cancelled = true;
      this.emit('cancelled', 'cancelled');
    });
    stream.once('close', () => this.emit('close'));
  }

  /** Starts reading requests; called once the handler has attached its listeners. */
  start(): void {
    const { stream } = this;
    stream.on('data', (chunk: Buffer) => {
      if (this.#call.done) return;
      for (const m of this.#call.messages(chunk)) {
        let decoded: unknown;
        try {
          decoded = this.options.codec.decode(m);
        } catch {
          // The handler hears 'cancelled' once the stream closes.
          this.#call.sendStatus(INTERNAL, 'Error deserializing request');
          return;
        }
        this.emit('data', decoded);
        if (this.#call.done) return;
      }
    });
    stream.on('end', () => {
      if (!this.#call.done) this.emit('end');
    });
  }

  write(message: unknown, callback?: () => void): boolean {
    let out: Buffer;
    try {
      out = this.options.codec.encode(message);
    } catch {
      this.#call.sendStatus(INTERNAL, 'Error serializing response');
      return false;
    }
    return this.#call.send(out, callback);
  }

  end(): void {
    this.#call.sendStatus(OK, 'OK');
  }

  destroy(err?: CallError): void {
    if (err) this.#call.sendError(err);
    else this.#call.sendStatus(CANCELLED, 'Cancelled');
  }

  getPeer(): string {
    return peerOf(this.stream);
  }
}
