/** Command-line values the benchmarks share the parsing of. */

/** A whole number ≥ 1, or exit 2 naming the flag, the value and the usage. */
export function positiveInteger(name: string, value: string, usage: string): number {
  const x = Number(value);
  if (!Number.isInteger(x) || x < 1) {
    process.stderr.write(`--${name} must be a positive integer, got ${value}\n\n${usage}`);
    process.exit(2);
  }
  return x;
}
