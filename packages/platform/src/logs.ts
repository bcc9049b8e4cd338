/** `cnpaas logs [component] [-n N] [-f]`. */
import { createReadStream, existsSync, readdirSync, statSync, watch } from 'node:fs';
import path from 'node:path';
import { PlatformError } from './errors.js';
import { logFile, tailLines } from './log-files.js';
import { statePaths } from './state-dir.js';

export interface LogsOptions {
  stateDir: string;
  component?: string;
  lines?: number;
  follow?: boolean;
  write?: (text: string) => void;
}

export function logNames(logsDir: string): string[] {
  if (!existsSync(logsDir)) return [];
  return readdirSync(logsDir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export async function logs(options: LogsOptions): Promise<void> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const paths = statePaths(options.stateDir);
  const names = logNames(paths.logs);
  if (!options.component) {
    write(
      names.length > 0
        ? `logs in ${paths.logs}:\n${names.map((n) => `  ${n}`).join('\n')}\n`
        : `no logs in ${paths.logs}\n`,
    );
    return;
  }
  if (!names.includes(options.component)) {
    throw new PlatformError('CNPAAS_PLATFORM_USAGE', `no log for "${options.component}" in ${paths.logs}`, {
      hint: names.length > 0 ? `pick one of: ${names.join(', ')}` : 'run cnpaas up first',
    });
  }
  const file = logFile(paths.logs, options.component);
  const lines = tailLines(file, options.lines ?? 50);
  if (lines.length > 0) write(`${lines.join('\n')}\n`);
  if (options.follow) await follow(file, write);
}

/** Prints what is appended until the process is interrupted. */
function follow(file: string, write: (text: string) => void): Promise<void> {
  let offset = statSync(file).size;
  return new Promise(() => {
    watch(path.dirname(file), () => {
      const size = statSync(file).size;
      if (size < offset) offset = 0;
      if (size === offset) return;
      createReadStream(file, { start: offset, end: size - 1 }).on('data', (chunk) => write(chunk.toString()));
      offset = size;
    });
  });
}
