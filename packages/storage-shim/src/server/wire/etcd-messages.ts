import type * as etcd from '../../types.js';
import { rangeRequest } from '../../types.js';
import {
  BYTES,
  type Reader,
  VARINT,
  Writer,
  bigFieldSize,
  bytesFieldSize,
  intFieldSize,
  lenField,
} from './protobuf.js';

/**
 * Hand-written codecs for the hot etcd messages (KV requests and responses,
 * watch responses). They decode straight into the store's types and encode
 * from them, skipping proto-loader's object conversion, which dominated the
 * per-request cost. Keys and values are zero-copy views of the request.
 */

const EMPTY: Buffer = Buffer.alloc(0);
const SORT_ORDERS: etcd.SortOrder[] = ['NONE', 'ASCEND', 'DESCEND'];
const SORT_TARGETS: etcd.SortTarget[] = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'];
const RESULTS: etcd.CompareResult[] = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'];
const TARGETS: etcd.CompareTarget[] = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'];

/** A RequestOp with no member set; etcd rejects it (see validate.ts). */
export const EMPTY_OP = Symbol('empty request op');

// --- requests ---

/** How to read one field's value off the wire, by the kind of value the message gives it. */
const READ = {
  bytes: (r: Reader) => r.bytes(),
  int: (r: Reader) => r.int(),
  int64: (r: Reader) => r.int64(),
  bool: (r: Reader) => r.bool(),
  string: (r: Reader) => r.bytes().toString('utf8'),
  sortOrder: (r: Reader): etcd.SortOrder => SORT_ORDERS[r.varint()] ?? 'NONE',
  sortTarget: (r: Reader): etcd.SortTarget => SORT_TARGETS[r.varint()] ?? 'KEY',
};
type Kind = keyof typeof READ;
/** The properties of M that hold what `READ[K]` returns. */
type PropsOf<M, K extends Kind> = { [P in keyof M]-?: ReturnType<(typeof READ)[K]> extends M[P] ? P : never }[keyof M];
/** A message's scalar fields: by the kind of their value, each property with its field number. */
type FieldSpec<M> = { [K in Kind]?: Partial<Record<PropsOf<M, K>, number>> };

/** Hands each field of a message, in wire order, to `read`; the ones it does not take are skipped. */
function readFields(r: Reader, read: (field: number) => boolean): void {
  while (!r.done) {
    const [field, wire] = r.tag();
    if (!read(field)) r.skip(wire);
  }
}

/** A decoder for a message of scalar fields, from the field number of each property. */
function scalarDecoder<M extends object>(create: () => M, spec: FieldSpec<M>): (r: Reader) => M {
  const byField: Array<[prop: string, read: (r: Reader) => unknown]> = [];
  for (const [kind, props] of Object.entries(spec) as Array<[Kind, Record<string, number>]>) {
    for (const [prop, field] of Object.entries(props)) byField[field] = [prop, READ[kind]];
  }
  return (r) => {
    const m = create();
    readFields(r, (field) => {
      const known = byField[field];
      if (known) (m as Record<string, unknown>)[known[0]] = known[1](r);
      return known !== undefined;
    });
    return m;
  };
}

export const decodeRangeRequest = scalarDecoder<etcd.RangeRequest>(rangeRequest, {
  bytes: { key: 1, rangeEnd: 2 },
  int: { limit: 3, revision: 4, minModRevision: 10, maxModRevision: 11, minCreateRevision: 12, maxCreateRevision: 13 },
  sortOrder: { sortOrder: 5 },
  sortTarget: { sortTarget: 6 },
  bool: { serializable: 7, keysOnly: 8, countOnly: 9 },
  // Selector push-down: not in etcd's rpc.proto (see src/selectors/).
  string: { labelSelector: 14, fieldSelector: 15 },
});

export const decodePutRequest = scalarDecoder<etcd.PutRequest>(
  () => ({ key: EMPTY, value: EMPTY, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false }),
  { bytes: { key: 1, value: 2 }, int64: { lease: 3 }, bool: { prevKv: 4, ignoreValue: 5, ignoreLease: 6 } },
);

export const decodeDeleteRangeRequest = scalarDecoder<etcd.DeleteRangeRequest>(
  () => ({ key: EMPTY, rangeEnd: EMPTY, prevKv: false }),
  { bytes: { key: 1, rangeEnd: 2 }, bool: { prevKv: 3 } },
);

function decodeCompare(r: Reader): etcd.Compare {
  const m: etcd.Compare = { result: 'EQUAL', target: 'VERSION', key: EMPTY, rangeEnd: EMPTY, number: 0n, value: EMPTY };
  // The operand oneof: only the member matching the target counts (etcd reads it by type).
  let member = 0;
  let number = 0n;
  let value: Buffer = EMPTY;
  readFields(r, (field) => {
    switch (field) {
      case 1:
        m.result = RESULTS[r.varint()] ?? 'EQUAL';
        return true;
      case 2:
        m.target = TARGETS[r.varint()] ?? 'VERSION';
        return true;
      case 3:
        m.key = r.bytes();
        return true;
      case 4:
      case 5:
      case 6:
      case 8:
        member = field;
        number = r.int64();
        return true;
      case 7:
        member = 7;
        value = r.bytes();
        return true;
      case 64:
        m.rangeEnd = r.bytes();
        return true;
      default:
        return false;
    }
  });
  const expected = { VERSION: 4, CREATE: 5, MOD: 6, VALUE: 7, LEASE: 8 }[m.target];
  if (member === expected) {
    if (member === 7) m.value = value;
    else m.number = number;
  }
  return m;
}

function decodeRequestOp(r: Reader): etcd.RequestOp | typeof EMPTY_OP {
  let op: etcd.RequestOp | typeof EMPTY_OP = EMPTY_OP;
  readFields(r, (field) => {
    if (field === 1) op = { range: decodeRangeRequest(r.sub()) };
    else if (field === 2) op = { put: decodePutRequest(r.sub()) };
    else if (field === 3) op = { deleteRange: decodeDeleteRangeRequest(r.sub()) };
    else if (field === 4) op = { txn: decodeTxnRequest(r.sub()) };
    else return false;
    return true;
  });
  return op;
}

export function decodeTxnRequest(r: Reader): etcd.TxnRequest {
  const m: etcd.TxnRequest = { compare: [], success: [], failure: [] };
  readFields(r, (field) => {
    if (field === 1) m.compare.push(decodeCompare(r.sub()));
    else if (field === 2) m.success.push(decodeRequestOp(r.sub()) as etcd.RequestOp);
    else if (field === 3) m.failure.push(decodeRequestOp(r.sub()) as etcd.RequestOp);
    else return false;
    return true;
  });
  return m;
}

export const decodeCompaction = scalarDecoder(() => ({ revision: 0, physical: false }), {
  int: { revision: 1 },
  bool: { physical: 2 },
});

// --- responses ---

/** Header fields fixed for the life of the store: cluster, member, raft term. */
export class HeaderCodec {
  readonly #fixed: Buffer;
  constructor(clusterId: bigint, memberId: bigint) {
    const size = bigFieldSize(clusterId) + bigFieldSize(memberId);
    const w = new Writer(size);
    w.bigField(1, clusterId);
    w.bigField(2, memberId);
    this.#fixed = w.finish();
  }

  /** Size of the header message body; `full` adds cluster, member and raft term like etcd's top-level headers. */
  size(revision: number, full: boolean): number {
    return (full ? this.#fixed.length + 2 : 0) + intFieldSize(revision);
  }

  write(w: Writer, field: number, revision: number, full: boolean): void {
    w.tag(field, BYTES);
    w.varint(this.size(revision, full));
    if (full) {
      this.#fixed.copy(w.buf, w.pos);
      w.pos += this.#fixed.length;
    }
    w.intField(3, revision);
    if (full) w.intField(4, 1);
  }

  fieldSize(revision: number, full: boolean): number {
    return lenField(this.size(revision, full));
  }
}

function kvSize(kv: etcd.KeyValue): number {
  return (
    bytesFieldSize(kv.key) +
    intFieldSize(kv.createRevision) +
    intFieldSize(kv.modRevision) +
    intFieldSize(kv.version) +
    bytesFieldSize(kv.value) +
    bigFieldSize(kv.lease)
  );
}

function writeKv(w: Writer, field: number, kv: etcd.KeyValue, size = kvSize(kv)): void {
  w.tag(field, BYTES);
  w.varint(size);
  w.bytesField(1, kv.key);
  w.intField(2, kv.createRevision);
  w.intField(3, kv.modRevision);
  w.intField(4, kv.version);
  w.bytesField(5, kv.value);
  w.bigField(6, kv.lease);
}

/** One response message: its body's size and its writer; `full` marks a top-level header. */
interface MessageCodec<T> {
  size(m: T, full: boolean): number;
  write(w: Writer, m: T, full: boolean): void;
}

/** A top-level response, in a buffer of exactly its size. */
function encode<T>(codec: MessageCodec<T>, m: T): Buffer {
  const w = new Writer(codec.size(m, true));
  codec.write(w, m, true);
  return w.finish();
}

/** A message inside another one, as the length-delimited field `field`. */
function writeNested<T>(w: Writer, field: number, codec: MessageCodec<T>, m: T): void {
  w.tag(field, BYTES);
  w.varint(codec.size(m, false));
  codec.write(w, m, false);
}

export class ResponseCodec {
  readonly #range: MessageCodec<etcd.RangeResponse> = {
    size: (r, full) => {
      let n = this.header.fieldSize(r.revision, full) + (r.more ? 2 : 0) + intFieldSize(r.count);
      for (const kv of r.kvs) n += lenField(kvSize(kv));
      return n;
    },
    write: (w, r, full) => {
      this.header.write(w, 1, r.revision, full);
      for (const kv of r.kvs) writeKv(w, 2, kv);
      w.boolField(3, r.more);
      w.intField(4, r.count);
    },
  };

  readonly #put: MessageCodec<etcd.PutResponse> = {
    size: (r, full) => this.header.fieldSize(r.revision, full) + (r.prevKv ? lenField(kvSize(r.prevKv)) : 0),
    write: (w, r, full) => {
      this.header.write(w, 1, r.revision, full);
      if (r.prevKv) writeKv(w, 2, r.prevKv);
    },
  };

  readonly #delete: MessageCodec<etcd.DeleteRangeResponse> = {
    size: (r, full) => {
      let n = this.header.fieldSize(r.revision, full) + intFieldSize(r.deleted);
      for (const kv of r.prevKvs) n += lenField(kvSize(kv));
      return n;
    },
    write: (w, r, full) => {
      this.header.write(w, 1, r.revision, full);
      w.intField(2, r.deleted);
      for (const kv of r.prevKvs) writeKv(w, 3, kv);
    },
  };

  readonly #txn: MessageCodec<etcd.TxnResponse> = {
    size: (r, full) => {
      let n = this.header.fieldSize(r.revision, full) + (r.succeeded ? 2 : 0);
      for (const op of r.responses) n += lenField(this.#op.size(op, false));
      return n;
    },
    write: (w, r, full) => {
      this.header.write(w, 1, r.revision, full);
      w.boolField(2, r.succeeded);
      for (const op of r.responses) writeNested(w, 3, this.#op, op);
    },
  };

  /** A ResponseOp: the one member it has, as its field (1 to 4). */
  readonly #op: MessageCodec<etcd.ResponseOp> = {
    size: (op) => {
      if ('range' in op) return lenField(this.#range.size(op.range, false));
      if ('put' in op) return lenField(this.#put.size(op.put, false));
      if ('deleteRange' in op) return lenField(this.#delete.size(op.deleteRange, false));
      return lenField(this.#txn.size(op.txn, false));
    },
    write: (w, op) => {
      if ('range' in op) writeNested(w, 1, this.#range, op.range);
      else if ('put' in op) writeNested(w, 2, this.#put, op.put);
      else if ('deleteRange' in op) writeNested(w, 3, this.#delete, op.deleteRange);
      else writeNested(w, 4, this.#txn, op.txn);
    },
  };

  constructor(readonly header: HeaderCodec) {}

  range(r: etcd.RangeResponse): Buffer {
    return encode(this.#range, r);
  }

  put(r: etcd.PutResponse): Buffer {
    return encode(this.#put, r);
  }

  deleteRange(r: etcd.DeleteRangeResponse): Buffer {
    return encode(this.#delete, r);
  }

  txn(r: etcd.TxnResponse): Buffer {
    return encode(this.#txn, r);
  }

  /** A response carrying only the header (Compact, and others). */
  headerOnly(revision: number): Buffer {
    const w = new Writer(this.header.fieldSize(revision, true));
    this.header.write(w, 1, revision, true);
    return w.finish();
  }

  watch(r: WatchResponse): Buffer {
    const events = r.events ?? [];
    const eventSizes = events.map(eventSize);
    const reason = r.cancelReason ? Buffer.from(r.cancelReason) : EMPTY;
    let size =
      this.header.fieldSize(r.revision, true) +
      intFieldSize(r.watchId) +
      (r.created ? 2 : 0) +
      (r.canceled ? 2 : 0) +
      intFieldSize(r.compactRevision ?? 0) +
      bytesFieldSize(reason) +
      (r.fragment ? 2 : 0);
    for (const s of eventSizes) size += lenField(s);
    const w = new Writer(size);
    this.header.write(w, 1, r.revision, true);
    w.intField(2, r.watchId);
    w.boolField(3, !!r.created);
    w.boolField(4, !!r.canceled);
    w.intField(5, r.compactRevision ?? 0);
    w.bytesField(6, reason);
    w.boolField(7, !!r.fragment);
    events.forEach((e, i) => {
      w.tag(11, BYTES);
      w.varint(eventSizes[i]!);
      if (e.type === 'DELETE') {
        w.tag(1, VARINT);
        w.varint(1);
      }
      writeKv(w, 2, e.kv);
      if (e.prevKv) writeKv(w, 3, e.prevKv);
    });
    return w.finish();
  }
}

export interface WatchResponse {
  /** Header revision; 0 leaves it out, as etcd does for compaction cancels. */
  revision: number;
  watchId: number;
  created?: boolean;
  canceled?: boolean;
  compactRevision?: number;
  cancelReason?: string;
  fragment?: boolean;
  events?: etcd.Event[];
}

export function eventSize(e: etcd.Event): number {
  return (e.type === 'DELETE' ? 2 : 0) + lenField(kvSize(e.kv)) + (e.prevKv ? lenField(kvSize(e.prevKv)) : 0);
}
