import type { LoggedChange } from '../mvcc/backend.js';

/**
 * The bytes one logged revision's changes are stored as, in meta.db's
 * `txlog` and in the replicas' `store_txlog`: JSON, with Buffers and bigints
 * as tagged strings so they survive the round trip.
 */
export function encodeChanges(changes: readonly LoggedChange[]): Buffer {
  return Buffer.from(JSON.stringify(changes, replacer));
}

export function decodeChanges(bytes: Buffer): LoggedChange[] {
  return JSON.parse(bytes.toString(), reviver) as LoggedChange[];
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $big: value.toString() };
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    return { $buf: Buffer.from((value as { data: number[] }).data).toString('base64') };
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object') {
    const v = value as { $big?: string; $buf?: string };
    if (v.$big !== undefined) return BigInt(v.$big);
    if (v.$buf !== undefined) return Buffer.from(v.$buf, 'base64');
  }
  return value;
}
