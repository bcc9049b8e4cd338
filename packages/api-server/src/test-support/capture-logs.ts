/** A logger whose JSON lines are kept for the test to read. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logger.js';

export function capturingLogger(level = 'trace'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  return { log: createLogger({ level, destination }), lines };
}
