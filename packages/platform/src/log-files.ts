/** Component logs under `<state-dir>/logs/<name>.log`. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

export function logFile(logsDir: string, name: string): string {
  return path.join(logsDir, `${name}.log`);
}

/** The last `lines` lines of a file, reading at most its last 256 KiB. */
export function tailLines(file: string, lines: number): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const all = buf.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}
