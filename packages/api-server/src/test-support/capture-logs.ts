/** A logger whose JSON lines are kept for the test to read. */
import { collectLines } from '@cnpaas/service-kit/testing';
import { createLogger, type Logger } from '../logger.js';

export function capturingLogger(level = 'trace'): { log: Logger; lines: string[] } {
  const { destination, lines } = collectLines();
  return { log: createLogger({ level, destination }), lines };
}
