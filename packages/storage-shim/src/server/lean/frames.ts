/**
 * gRPC's length-prefixed messages on an HTTP/2 stream: one byte of flags
 * (bit 0: compressed), four bytes of big-endian length, then the message.
 * HTTP/2 DATA frames do not line up with messages: one frame may carry
 * several, and one message may span several frames.
 */

/** A stream's input broke gRPC's framing; `code` is the gRPC status to end the call with. */
export class FrameError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const HEADER_BYTES = 5;
/** grpc.status.RESOURCE_EXHAUSTED and INTERNAL, as numbers so this file needs no grpc-js. */
const RESOURCE_EXHAUSTED = 8;
const INTERNAL = 13;

/** Reassembles messages from DATA chunks, refusing any larger than `maxBytes` as soon as its length is known. */
export class MessageReader {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes the pending message needs in all (prefix included), once its prefix has arrived. */
  #need = 0;

  constructor(private readonly maxBytes: number) {}

  /** Appends a chunk and returns every message it completed, in order. */
  push(chunk: Buffer): Buffer[] {
    let buf: Buffer;
    if (this.#pendingBytes === 0) {
      buf = chunk;
    } else {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      // A large message arrives in many frames: join them once, when the last one is in.
      if (this.#need > 0 && this.#pendingBytes < this.#need) return [];
      buf = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#need = 0;
    }
    const out: Buffer[] = [];
    let at = 0;
    while (buf.length - at >= HEADER_BYTES) {
      const flags = buf[at]!;
      const length = buf.readUInt32BE(at + 1);
      // The same message grpc-js gives, so a client sees one answer whichever server path it hit.
      if (length > this.maxBytes)
        throw new FrameError(RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs ${this.maxBytes})`);
      if (flags & 1)
        throw new FrameError(INTERNAL, 'Received a compressed message but the call did not declare an encoding');
      if (buf.length - at - HEADER_BYTES < length) {
        this.#need = HEADER_BYTES + length;
        break;
      }
      // A view, not a copy: the codecs keep zero-copy slices of keys and values.
      out.push(buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length));
      at += HEADER_BYTES + length;
    }
    if (at < buf.length) {
      const rest = buf.subarray(at);
      this.#pending.push(rest);
      this.#pendingBytes = rest.length;
    }
    return out;
  }

  /** Bytes of an incomplete message still waiting for the rest. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }
}

/** One encoded message with its 5-byte prefix (uncompressed). */
export function frameMessage(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, HEADER_BYTES);
  return out;
}

const TIMEOUT_UNITS_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/**
 * A `grpc-timeout` header in whole milliseconds, read as grpc-js reads it
 * (digits and a unit anywhere in the value; fractions of a millisecond
 * dropped), so both paths give a call the same deadline. undefined when no
 * timeout can be read.
 */
export function parseGrpcTimeout(value: string): number | undefined {
  const match = /(\d{1,8})\s*([HMSmun])/.exec(value);
  if (!match) return undefined;
  return (Number(match[1]) * TIMEOUT_UNITS_MS[match[2]!]!) | 0;
}
