import path from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

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

/** The flags both benchmarks take: the etcd binary, whether and where to append the results, and --help. */
const COMMON_FLAGS = {
  etcd: { type: 'string' },
  write: { type: 'boolean', default: false },
  out: { type: 'string', default: path.resolve(import.meta.dirname, '../../../docs/benchmarks.md') },
  help: { type: 'boolean', default: false },
} as const satisfies ParseArgsOptionsConfig;

/** A benchmark's own flags and the common ones, parsed; --help prints `usage` and exits. */
export function benchFlags<const O extends ParseArgsOptionsConfig>(
  options: O,
  usage: string,
): ReturnType<typeof parseArgs<{ options: O & typeof COMMON_FLAGS }>>['values'] {
  const all: O & typeof COMMON_FLAGS = { ...options, ...COMMON_FLAGS };
  const { values } = parseArgs({ options: all });
  if ((values as { help?: boolean }).help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  return values;
}
