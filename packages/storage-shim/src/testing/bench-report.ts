import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, tmpdir } from 'node:os';

/**
 * What the benchmarks' reports share (the store's own in bench/ and the
 * platform's kube-apiserver benchmark): the machine a run was made on and
 * the two ways a table of cells is printed.
 */

/** A command's trimmed output, or undefined where it is missing, fails or hangs. */
export function commandOutput(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The machine a benchmark ran on: every figure depends on it. */
export interface BenchMachine {
  date: string;
  cpu: string;
  cores: number;
  kernel: string;
  node: string;
  /** The temp dir's filesystem, where the servers' data dirs live (and fsync). */
  filesystem: string;
  commit: string;
  /** 1/5/15-minute load averages when the run started: other work on the box skews every figure. */
  load: string;
}

export function benchMachine(): BenchMachine {
  const commit = commandOutput('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = commandOutput('git', ['status', '--porcelain', '--', '.']);
  const fsType =
    commandOutput('findmnt', ['-n', '-o', 'FSTYPE', '--target', tmpdir()]) ??
    commandOutput('stat', ['-f', '-c', '%T', tmpdir()]);
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    kernel: `Linux ${release()}`,
    node: process.version,
    filesystem: `${fsType ?? 'unknown'} (${tmpdir()})`,
    commit: commit ? `${commit}${dirty ? ' + uncommitted changes' : ''}` : 'unknown',
    load: loadAverage(),
  };
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/** Cells as aligned plain-text columns, the first row a header underlined with dashes. */
export function textTable(cells: string[][]): string {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => [...row[c]!].length)));
  const line = (row: string[]) => row.map((cell, c) => cell + ' '.repeat(widths[c]! - [...cell].length)).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Cells as a Markdown table, the first row its header. */
export function markdownTable(cells: string[][]): string {
  const row = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [row(cells[0]!), row(cells[0]!.map(() => '---')), ...cells.slice(1).map(row)].join('\n');
}
