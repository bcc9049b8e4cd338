/**
 * Command lines the way every cnpaas program reads them: each flag may also
 * come from an environment variable (the flag wins), so a supervisor can
 * pass either; a blank value counts as unset; every mistake is a BAD_FLAG
 * error that names the flag and says what to do. Each package keeps its own
 * flag table and usage text.
 */
import { delimiter, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseHostPort, type HostPort } from './address.js';
import type { ErrorFactory } from './errors.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** A program's flags, for node's `parseArgs`, each with the environment variable that stands in for it. */
export type FlagTable = Record<string, { type: 'string' | 'boolean'; short?: string; env?: string }>;

type FlagError = ErrorFactory<'BAD_FLAG'>;

export interface FlagTableOptions {
  /** The environment variables' prefix, e.g. `CNPAAS_WEBHOOKS`: `--cert-file` reads `CNPAAS_WEBHOOKS_CERT_FILE`. */
  envPrefix: string;
  /** String flags whose environment variable is the prefix and the flag's name, upper-cased, dashes as underscores. */
  strings: readonly string[];
  /** String flags whose environment variable is named otherwise, e.g. `{ 'allow-target': 'CNPAAS_TRIGGER_ALLOW_TARGETS' }`. */
  renamed?: Readonly<Record<string, string>>;
  /** Switches: no environment variable stands in for them. */
  booleans?: readonly string[];
  /** Adds `--kubeconfig` (KUBECONFIG), for `Flags.kubeconfig`. */
  kubeconfig?: boolean;
}

/**
 * A program's flag table the way every cnpaas program names its flags'
 * environment variables, with `--log-level` (LOG_LEVEL) added, so that a
 * package lists its flags' names instead of restating the convention.
 */
export function flagTable(options: FlagTableOptions): FlagTable {
  const table: FlagTable = {};
  if (options.kubeconfig) table['kubeconfig'] = { type: 'string', env: 'KUBECONFIG' };
  for (const name of options.strings) {
    table[name] = { type: 'string', env: `${options.envPrefix}_${name.toUpperCase().replaceAll('-', '_')}` };
  }
  for (const [name, env] of Object.entries(options.renamed ?? {})) table[name] = { type: 'string', env };
  for (const name of options.booleans ?? []) table[name] = { type: 'boolean' };
  table['log-level'] = { type: 'string', env: 'LOG_LEVEL' };
  return table;
}

export interface ReadFlagsOptions {
  /** The program's name, for the hint after an unknown flag. */
  bin: string;
  /** The program's own flags; `--help` (`-h`) and `--version` are added. */
  flags: FlagTable;
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  error: FlagError;
}

/** Where a process finds the apiserver: a kubeconfig file (or a KUBECONFIG-style list of them), or its pod's service account. */
export interface KubeconfigSource {
  kubeconfig: string | undefined;
  inCluster: boolean;
}

/** Parses argv strictly; 'help' and 'version' mean the caller prints that and stops. */
export function readFlags(options: ReadFlagsOptions): Flags | 'help' | 'version' {
  const table: NonNullable<ParseArgsConfig['options']> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const [name, { type, short }] of Object.entries(options.flags)) table[name] = short ? { type, short } : { type };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...options.argv], strict: true, allowPositionals: false, options: table }));
  } catch (err) {
    throw options.error('BAD_FLAG', (err as Error).message, { hint: `run ${options.bin} --help for the flags` });
  }
  if (values['help']) return 'help';
  if (values['version']) return 'version';
  return new Flags(values, options);
}

export class Flags {
  readonly #values: Record<string, unknown>;
  readonly #options: ReadFlagsOptions;

  constructor(values: Record<string, unknown>, options: ReadFlagsOptions) {
    this.#values = values;
    this.#options = options;
  }

  /** The flag's value, else its environment variable's; trimmed, undefined when blank. */
  value(name: string): string | undefined {
    const envName = this.envName(name);
    const value = (this.#values[name] as string | undefined) ?? (envName ? this.#options.env[envName] : undefined);
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  /** The environment variable that stands in for the flag, for hints. */
  envName(name: string): string | undefined {
    return this.#options.flags[name]?.env;
  }

  /** A boolean flag. */
  has(name: string): boolean {
    return this.#values[name] === true;
  }

  /** A comma-separated list, blanks dropped; [] when unset. */
  list(name: string): string[] {
    return (this.value(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /**
   * A file that must be given (a certificate, a key, a CA), as an absolute
   * path: relative to the working directory the process started in.
   */
  requiredFile(name: string, problem: { hint: string; reason?: string }): string {
    const file = this.value(name);
    if (!file) throw this.bad(name, { reason: problem.reason ?? 'is required', hint: problem.hint });
    return resolve(file);
  }

  /**
   * Client certificate CNs (a comma-separated list). Empty never means "any
   * CN": a forgotten value must not widen trust, so it is `fallback`, or
   * refused with `required` when there is no default.
   */
  names(name: string, rule: { fallback: readonly string[] } | { required: FlagProblem }): string[] {
    const names = this.list(name);
    if (names.length > 0) return names;
    if ('fallback' in rule) return [...rule.fallback];
    throw this.bad(name, rule.required);
  }

  /** HOST:PORT, `fallback` when unset. */
  listen(name: string, fallback: string): HostPort {
    return parseListenFlag(this.value(name) ?? fallback, { flag: name, example: fallback, error: this.#options.error });
  }

  /** Milliseconds, or undefined when unset. */
  duration(name: string): number | undefined {
    const text = this.value(name);
    return text === undefined ? undefined : parseDurationFlag(text, { flag: name, error: this.#options.error });
  }

  /**
   * `--kubeconfig` (declare it with `env: 'KUBECONFIG'`), which only a
   * process in a pod may omit: it then uses its service account.
   */
  kubeconfig(hint: string): KubeconfigSource {
    const kubeconfig = this.value('kubeconfig');
    const inCluster = !kubeconfig && !!this.#options.env['KUBERNETES_SERVICE_HOST'];
    if (!kubeconfig && !inCluster) throw this.bad('kubeconfig', { reason: 'is required outside a pod', hint });
    // A KUBECONFIG-style list stays as given: loadKubeConfig merges it like kubectl does.
    return { kubeconfig: kubeconfig && !kubeconfig.includes(delimiter) ? resolve(kubeconfig) : kubeconfig, inCluster };
  }

  /** `--log-level` (declare it with `env: 'LOG_LEVEL'`), default info. */
  logLevel(): string {
    const level = this.value('log-level') ?? 'info';
    if (!LOG_LEVELS.includes(level))
      throw this.bad('log-level', { reason: `"${level}" is not a level`, hint: 'use debug, info, warn or error' });
    return level;
  }

  /** The error for a value the program refuses. */
  bad(flag: string, problem: FlagProblem): Error {
    return badFlag({ flag, error: this.#options.error }, problem);
  }
}

export interface FlagProblem {
  /** Follows "--flag: ", e.g. "is required". */
  reason: string;
  /** What to do instead. */
  hint: string;
}

export interface FlagParseOptions {
  /** The flag's name without dashes, for the message. */
  flag: string;
  error: FlagError;
}

function badFlag(options: FlagParseOptions, problem: FlagProblem): Error {
  return options.error('BAD_FLAG', `--${options.flag}: ${problem.reason}`, { hint: problem.hint });
}

/** HOST:PORT; `example` (a valid address) goes into the hint. */
export function parseListenFlag(text: string, options: FlagParseOptions & { example: string }): HostPort {
  const address = parseHostPort(text);
  if (address) return address;
  const port = options.example.split(':').pop();
  throw badFlag(options, {
    reason: `"${text}" is not HOST:PORT`,
    hint: `e.g. --${options.flag} ${options.example} (port 0 picks a free one; IPv6 as [::1]:${port})`,
  });
}

/** "30s", "500ms", "2m", or a bare number of seconds, to milliseconds; between 1 ms and 10 min. */
export function parseDurationFlag(text: string, options: FlagParseOptions): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw badFlag(options, { reason: `"${text}" is not a duration`, hint: 'use e.g. 30s, 500ms or 1m' });
  const value = Number(m[1]);
  const ms = m[2] === 'ms' ? value : m[2] === 'm' ? value * 60_000 : value * 1000;
  if (ms < 1 || ms > 10 * 60_000)
    throw badFlag(options, { reason: `${text} is out of range`, hint: 'use a value between 1ms and 10m' });
  return Math.round(ms);
}
