import pg from 'pg';

/**
 * Several statements as one simple-query message, which PostgreSQL runs in
 * order and answers together: a batch's BEGIN, revision lock and reads, or
 * its rows and COMMIT, cost one round trip instead of one each (node-postgres
 * sends one extended-protocol statement per round trip and has no pipeline).
 *
 * The simple protocol takes no parameters, so each `$n` is written into the
 * text as a quoted literal through node-postgres's own escaping. A quoted
 * literal has no type until the statement gives it one, exactly like the
 * untyped text parameters node-postgres sends otherwise, so every statement
 * means what it meant with parameters: a Buffer becomes bytea's hex input
 * (`'\x…'`), a number or BigInt its decimal digits, null NULL.
 */
export function inlineParams(text: string, params: readonly unknown[]): string {
  if (params.length === 0) return text;
  return text.replace(/\$(\d+)/g, (_, n: string) => paramLiteral(params, Number(n)));
}

/** Parameter `$n` of a statement as its literal; a statement that names more parameters than it has is a bug. */
export function paramLiteral(params: readonly unknown[], n: number): string {
  if (n > params.length) throw new Error(`statement names $${n} but has ${params.length} parameter(s)`);
  return literal(params[n - 1]);
}

/** One parameter as a quoted literal (or NULL) that takes its type from where it stands. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  // What escapeLiteral makes of `\x` and hex digits, without walking a large value a character at a time.
  if (Buffer.isBuffer(value)) return ` E'\\\\x${value.toString('hex')}'`;
  if (value instanceof Uint8Array) return literal(Buffer.from(value.buffer, value.byteOffset, value.length));
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} into a statement`);
    return `'${value}'`;
  }
  if (typeof value === 'bigint' || typeof value === 'boolean') return `'${value}'`;
  if (typeof value === 'string') return pg.escapeLiteral(value);
  throw new Error(`cannot write a ${typeof value} into a statement`);
}
