/**
 * Bytes about to cross a thread in a message (sql-bridge.ts and its worker).
 *
 * Structured clone copies the whole ArrayBuffer behind a typed array, not
 * just the bytes it views. Most Buffers in the store are views of something
 * larger: a key decoded from a gRPC frame, a short Buffer from Node's shared
 * 64 KiB pool, a bytea column the database client parsed into that pool. Each
 * one posted as it is costs a 64 KiB copy on the way out, another on the way
 * in and the garbage of both: about 15–20 µs of the sender's time per Buffer
 * on this project's machine, against about 2 µs for a copy of its own bytes.
 * A lone write posts several (its key, its value, the keys its guard checks),
 * a batch at concurrency 64 hundreds.
 */

/** `value` itself, or, when it views only part of its ArrayBuffer, a copy of those bytes alone. */
export function ownBytes<T>(value: T): T | Uint8Array {
  if (!(value instanceof Uint8Array)) return value;
  if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return value;
  return new Uint8Array(value);
}

/** Statement parameters, positional (an array) or named (an object, SQLite's), ready to post. */
export function postableParams<P extends readonly unknown[] | Record<string, unknown>>(params: P): P {
  if (Array.isArray(params)) return params.map(ownBytes) as unknown as P;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) out[name] = ownBytes(value);
  return out as P;
}

/** Result rows, ready to post: each column that holds bytes holds only its own. */
export function postableRows(rows: readonly unknown[]): unknown[] {
  return rows.map((row) => {
    if (row === null || typeof row !== 'object') return row;
    const out: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) out[column] = ownBytes(value);
    return out;
  });
}

/**
 * Bytes kept by the thread whose database client parsed them (the main
 * thread's own connection, sql-bridge.ts): the Buffer itself, or, when it
 * views part of something larger than Node's small-buffer slab (mysql2
 * parses a column as a view of its whole packet), a Buffer of its own bytes,
 * so that a row kept in memory (the rows of recent batches) does not hold on
 * to the rest.
 */
export function keptBytes(bytes: Uint8Array): Buffer {
  const own = bytes.buffer.byteLength > Buffer.poolSize ? ownBytes(bytes) : bytes;
  return Buffer.isBuffer(own) ? own : Buffer.from(own.buffer, own.byteOffset, own.byteLength);
}

/**
 * Result rows kept by the thread that read them, changed in place (the client
 * made them for this answer alone): each column that holds bytes, as
 * `keptBytes`.
 */
export function keptRows(rows: readonly unknown[]): Array<Record<string, unknown>> {
  const out = rows as Array<Record<string, unknown>>;
  for (const row of out) {
    for (const [column, value] of Object.entries(row)) if (value instanceof Uint8Array) row[column] = keptBytes(value);
  }
  return out;
}
