/**
 * The few protobuf primitives the hand-written etcd codecs need. Field
 * numbers and wire types come from the vendored rpc.proto and kv.proto.
 */

export const VARINT = 0;
export const FIXED64 = 1;
export const BYTES = 2;
export const FIXED32 = 5;

export class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end = buf.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  tag(): [field: number, wire: number] {
    const t = this.varint();
    return [t >>> 3, t & 7];
  }

  /** An unsigned varint as a number; exact below 2^53, which revisions and sizes stay under. */
  varint(): number {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new RangeError('truncated varint');
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) return result;
      shift *= 128;
    }
    throw new RangeError('varint too long');
  }

  /** A varint read as int64, exact over all 64 bits (lease IDs, compare operands). */
  int64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new RangeError('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    throw new RangeError('varint too long');
  }

  /** An int64 that fits a number; int64 fields such as a revision can be negative on the wire. */
  int(): number {
    const start = this.pos;
    const v = this.varint();
    if (v <= Number.MAX_SAFE_INTEGER) return v;
    this.pos = start;
    return Number(this.int64());
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  /** A zero-copy view of a length-delimited field. */
  bytes(): Buffer {
    const len = this.varint();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new RangeError('truncated bytes');
    return this.buf.subarray(start, this.pos);
  }

  sub(): Reader {
    const len = this.varint();
    const r = new Reader(this.buf, this.pos + len);
    r.pos = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new RangeError('truncated message');
    return r;
  }

  skip(wire: number): void {
    switch (wire) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.pos += 8;
        return;
      case BYTES: {
        // Not `this.pos += this.varint()`: that adds the length to pos as it was before the length was read.
        const len = this.varint();
        this.pos += len;
        if (this.pos > this.end) throw new RangeError('truncated bytes');
        return;
      }
      case FIXED32:
        this.pos += 4;
        return;
      default:
        throw new RangeError(`unsupported wire type ${wire}`);
    }
  }
}

/** Encoded length of an unsigned varint. */
export function varintSize(v: number): number {
  if (v < 0) return 10;
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export function bigSize(v: bigint): number {
  let u = BigInt.asUintN(64, v);
  let n = 1;
  while (u >= 128n) {
    u >>= 7n;
    n++;
  }
  return n;
}

/** Size of a length-delimited field with a one-byte tag (field numbers < 16). */
export function lenField(len: number): number {
  return 1 + varintSize(len) + len;
}

export class Writer {
  readonly buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  varint(v: number): void {
    if (v < 0) {
      this.big(BigInt(v));
      return;
    }
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  big(v: bigint): void {
    let u = BigInt.asUintN(64, v);
    while (u >= 128n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  bytes(b: Buffer): void {
    this.varint(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** Field helpers that skip proto3 defaults, as every protobuf encoder does. */
  intField(field: number, v: number): void {
    if (v !== 0) {
      this.tag(field, VARINT);
      this.varint(v);
    }
  }

  bigField(field: number, v: bigint): void {
    if (v !== 0n) {
      this.tag(field, VARINT);
      this.big(v);
    }
  }

  boolField(field: number, v: boolean): void {
    if (v) {
      this.tag(field, VARINT);
      this.buf[this.pos++] = 1;
    }
  }

  bytesField(field: number, b: Buffer): void {
    if (b.length > 0) {
      this.tag(field, BYTES);
      this.bytes(b);
    }
  }

  finish(): Buffer {
    if (this.pos !== this.buf.length)
      throw new Error(`protobuf size mismatch: wrote ${this.pos}, sized ${this.buf.length}`);
    return this.buf;
  }
}

export function intFieldSize(v: number): number {
  return v === 0 ? 0 : 1 + varintSize(v);
}

export function bigFieldSize(v: bigint): number {
  return v === 0n ? 0 : 1 + bigSize(v);
}

export function bytesFieldSize(b: Buffer): number {
  return b.length === 0 ? 0 : lenField(b.length);
}
