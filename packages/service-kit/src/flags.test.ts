import { delimiter, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Flags, parseDurationFlag, parseListenFlag, readFlags, type FlagTable } from './flags.js';
import { TestError, caught, testError as error } from './test-support.js';

const table: FlagTable = {
  listen: { type: 'string', env: 'TEST_LISTEN' },
  names: { type: 'string', env: 'TEST_NAMES' },
  timeout: { type: 'string', env: 'TEST_TIMEOUT' },
  kubeconfig: { type: 'string', env: 'KUBECONFIG' },
  'log-level': { type: 'string', env: 'LOG_LEVEL' },
  'dry-run': { type: 'boolean', short: 'n' },
};

function flags(argv: string[], env: NodeJS.ProcessEnv = {}): Flags {
  const result = readFlags({ bin: 'cnpaas-test', flags: table, argv, env, error });
  if (!(result instanceof Flags)) throw new Error(`expected flags, got ${result}`);
  return result;
}

describe('readFlags', () => {
  it('answers --help, -h and --version before anything else', () => {
    expect(
      readFlags({ bin: 'cnpaas-test', flags: table, argv: ['--listen', 'nonsense', '--help'], env: {}, error }),
    ).toBe('help');
    expect(readFlags({ bin: 'cnpaas-test', flags: table, argv: ['-h'], env: {}, error })).toBe('help');
    expect(readFlags({ bin: 'cnpaas-test', flags: table, argv: ['--version'], env: {}, error })).toBe('version');
  });

  it('refuses unknown flags and positionals, pointing at --help', async () => {
    const unknown = await caught(() => flags(['--bogus']));
    expect([unknown.code, unknown.hint]).toEqual(['TEST_BAD_FLAG', 'run cnpaas-test --help for the flags']);
    expect(unknown.message).toContain("Unknown option '--bogus'");
    expect((await caught(() => flags(['stray']))).code).toBe('TEST_BAD_FLAG');
  });
});

describe('Flags', () => {
  it('takes the flag over its environment variable, trims, and treats blank as unset', () => {
    expect(flags([], { TEST_LISTEN: ' 127.0.0.1:1 ' }).value('listen')).toBe('127.0.0.1:1');
    expect(flags(['--listen', '[::1]:2'], { TEST_LISTEN: '127.0.0.1:1' }).value('listen')).toBe('[::1]:2');
    expect(flags(['--listen', ' '], { TEST_LISTEN: '127.0.0.1:1' }).value('listen')).toBeUndefined();
    expect(flags([], { TEST_LISTEN: '  ' }).value('listen')).toBeUndefined();
    expect([flags(['-n']).has('dry-run'), flags([]).has('dry-run')]).toEqual([true, false]);
  });

  it('reads comma-separated lists without blanks', () => {
    expect(flags(['--names', ' a, b ,,c ']).list('names')).toEqual(['a', 'b', 'c']);
    expect(flags([], { TEST_NAMES: ' , ' }).list('names')).toEqual([]);
  });

  it('requires files as absolute paths, and CNs with a default or refused when empty (never "any CN")', async () => {
    expect(flags(['--names', 'ca.crt']).requiredFile('names', { hint: 'pass it' })).toBe(resolve('ca.crt'));
    const missing = await caught(() => flags([]).requiredFile('names', { hint: 'pass the CA' }));
    expect(missing.describe()).toBe('TEST_BAD_FLAG: --names: is required\n  fix: pass the CA');
    expect(flags([], { TEST_NAMES: ' , ' }).names('names', { fallback: ['front-proxy-client'] })).toEqual([
      'front-proxy-client',
    ]);
    expect(flags(['--names', 'a,b']).names('names', { fallback: ['c'] })).toEqual(['a', 'b']);
    const empty = await caught(() =>
      flags([]).names('names', { required: { reason: 'is required: any CN would do', hint: 'pass a CN' } }),
    );
    expect(empty.message).toBe('--names: is required: any CN would do');
  });

  it('reads listen addresses and durations, with defaults', () => {
    expect(flags([]).listen('listen', '127.0.0.1:8081')).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(flags(['--listen', '[::1]:0']).listen('listen', '127.0.0.1:8081')).toEqual({ host: '::1', port: 0 });
    expect(flags([], { TEST_TIMEOUT: '1.5' }).duration('timeout')).toBe(1_500);
    expect(flags([]).duration('timeout')).toBeUndefined();
  });

  it('requires a kubeconfig outside a pod, resolves a file and keeps a KUBECONFIG list', async () => {
    const missing = await caught(() => flags([]).kubeconfig("pass the test's kubeconfig"));
    expect([missing.message, missing.hint]).toEqual([
      '--kubeconfig: is required outside a pod',
      "pass the test's kubeconfig",
    ]);
    expect(flags([], { KUBERNETES_SERVICE_HOST: '10.96.0.1' }).kubeconfig('')).toEqual({
      kubeconfig: undefined,
      inCluster: true,
    });
    expect(flags(['--kubeconfig', 'rel/k.yaml']).kubeconfig('')).toEqual({
      kubeconfig: resolve('rel/k.yaml'),
      inCluster: false,
    });
    const list = `a.yaml${delimiter}b.yaml`;
    expect(flags([], { KUBECONFIG: list, KUBERNETES_SERVICE_HOST: '10.96.0.1' }).kubeconfig('')).toEqual({
      kubeconfig: list,
      inCluster: false,
    });
  });

  it('reads the log level from --log-level or LOG_LEVEL, default info', async () => {
    expect(flags([]).logLevel()).toBe('info');
    expect(flags([], { LOG_LEVEL: 'debug' }).logLevel()).toBe('debug');
    expect((await caught(() => flags(['--log-level', 'loud']).logLevel())).message).toBe(
      '--log-level: "loud" is not a level',
    );
  });

  it('words a refusal as --flag: reason, with the fix as the hint', () => {
    const err = flags([]).bad('cert-file', { reason: 'is required', hint: 'pass the serving certificate' });
    expect(err).toBeInstanceOf(TestError);
    expect((err as TestError).describe()).toBe(
      'TEST_BAD_FLAG: --cert-file: is required\n  fix: pass the serving certificate',
    );
  });
});

describe('parseListenFlag and parseDurationFlag', () => {
  it('name the flag and give an example', async () => {
    const err = await caught(() => parseListenFlag('9443', { flag: 'listen', example: '127.0.0.1:9443', error }));
    expect([err.message, err.hint]).toEqual([
      '--listen: "9443" is not HOST:PORT',
      'e.g. --listen 127.0.0.1:9443 (port 0 picks a free one; IPv6 as [::1]:9443)',
    ]);
  });

  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['45', 45_000],
    ['0.0015s', 2],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDurationFlag(text, { flag: 'timeout', error })).toBe(ms);
  });

  it.each([
    ['soon', '--timeout: "soon" is not a duration'],
    ['1h', '--timeout: "1h" is not a duration'],
    ['11m', '--timeout: 11m is out of range'],
    ['0', '--timeout: 0 is out of range'],
  ])('refuses %s', async (text, message) => {
    expect((await caught(() => parseDurationFlag(text, { flag: 'timeout', error }))).message).toBe(message);
  });
});
