/**
 * A program's entry point: parse the flags, answer --help and --version, or
 * run. Exit codes: 0 after a clean stop, 2 for a configuration error (what
 * went wrong and the fix, on stderr), 1 for anything unexpected.
 */
import { readFileSync } from 'node:fs';
import { ServiceError } from './errors.js';

export interface MainOptions<Config> {
  /** The program's name; it prefixes everything written to stderr. */
  bin: string;
  /** The package.json whose version --version prints. */
  packageJson: URL;
  usage: string;
  parse(argv: readonly string[], env: NodeJS.ProcessEnv): Config | 'help' | 'version';
  /** Import the heavy modules in here, so --help and flag errors answer without loading them. */
  run(config: Config, version: string): Promise<void>;
}

export function runMain<Config>(options: MainOptions<Config>): void {
  const { version } = JSON.parse(readFileSync(options.packageJson, 'utf8')) as { version: string };
  const main = async (): Promise<void> => {
    const config = options.parse(process.argv.slice(2), process.env);
    if (config === 'help') return void process.stdout.write(options.usage);
    if (config === 'version') return void process.stdout.write(`${options.bin} ${version}\n`);
    await options.run(config, version);
  };
  // Exiting at once loses no log line: the kit's logger writes synchronously, and so does Node's stderr to files and pipes.
  main().catch((err: unknown) => {
    if (err instanceof ServiceError) {
      process.stderr.write(`${options.bin}: ${err.describe()}\n`);
      process.exit(2);
    }
    process.stderr.write(`${options.bin}: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
