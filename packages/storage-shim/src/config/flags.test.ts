import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { parseDuration } from './duration.js';
import { parseFlags, type StoreConfig } from './flags.js';

describe('parseFlags', () => {
  it('takes etcd flag names in both --flag=value and --flag value forms', () => {
    const c = parseFlags([
      '--listen-client-urls=http://127.0.0.1:1,unix:///tmp/s.sock',
      '--data-dir',
      '/tmp/d',
      '--experimental-watch-progress-notify-interval=1s',
      '--auto-compaction-mode=revision',
      '--auto-compaction-retention=1000',
      '--unsafe-no-fsync',
      '--max-txn-ops=64',
    ]) as StoreConfig;
    expect(c.listenClientUrls).toEqual(['http://127.0.0.1:1', 'unix:///tmp/s.sock']);
    expect(c).toMatchObject({
      dataDir: '/tmp/d',
      progressIntervalMs: 1000,
      autoCompactionMode: 'revision',
      autoCompactionRetention: 1000,
      fsync: false,
      maxTxnOps: 64,
    });
  });

  it('takes --main-endpoint as given (checked when the store opens it), and leaves it unset by default', () => {
    const url = 'postgres://u:p@127.0.0.1:5432/store?sslmode=disable';
    expect((parseFlags([`--main-endpoint=${url}`]) as StoreConfig).mainEndpoint).toBe(url);
    expect((parseFlags([]) as StoreConfig).mainEndpoint).toBeUndefined();
  });

  it('takes the --main-endpoint password from a file or a variable, one of them, only beside --main-endpoint', () => {
    const url = 'postgres://u@127.0.0.1:5432/store?sslmode=disable';
    expect((parseFlags([`--main-endpoint=${url}`, '--main-password-file=pw']) as StoreConfig).mainPassword).toEqual({
      file: resolve('pw'),
      setBy: '--main-password-file',
    });
    expect((parseFlags([`--main-endpoint=${url}`, '--main-password-env=PG_PW']) as StoreConfig).mainPassword).toEqual({
      env: 'PG_PW',
      setBy: '--main-password-env',
    });
    expect((parseFlags([`--main-endpoint=${url}`]) as StoreConfig).mainPassword).toBeUndefined();
    expect(() => parseFlags([`--main-endpoint=${url}`, '--main-password-file=pw', '--main-password-env=X'])).toThrow(
      '--main-password-file: and --main-password-env are both given',
    );
    expect(() => parseFlags(['--main-password-file=pw'])).toThrow(
      '--main-password-file: is given without --main-endpoint',
    );
    expect(() => parseFlags([`--main-endpoint=${url}`, '--main-password-env=1X'])).toThrow(
      '"1X" is not an environment variable name',
    );
  });

  it('takes --main-max-open as a connectionPool.maxOpen for the main backend, only beside --main-endpoint', () => {
    const url = 'postgres://u@127.0.0.1:5432/store?sslmode=disable';
    expect((parseFlags([`--main-endpoint=${url}`, '--main-max-open=5']) as StoreConfig).mainMaxOpen).toBe(5);
    expect((parseFlags([`--main-endpoint=${url}`]) as StoreConfig).mainMaxOpen).toBe(0);
    expect(() => parseFlags([`--main-endpoint=${url}`, '--main-max-open=1'])).toThrow(
      '--main-max-open: is 1, but the main backend needs two connections',
    );
    expect(() => parseFlags([`--main-endpoint=${url}`, '--main-max-open=-3'])).toThrow(
      '--main-max-open: "-3" is not a whole number',
    );
    expect(() => parseFlags(['--main-max-open=4'])).toThrow('--main-max-open: is given without --main-endpoint');
  });

  it('takes --replace-topology only beside --main-endpoint', () => {
    const url = 'postgres://u@127.0.0.1:5432/store?sslmode=disable';
    expect((parseFlags([`--main-endpoint=${url}`, '--replace-topology']) as StoreConfig).replaceTopology).toBe(true);
    expect((parseFlags([`--main-endpoint=${url}`]) as StoreConfig).replaceTopology).toBe(false);
    expect(() => parseFlags(['--replace-topology'])).toThrow('--replace-topology: is given without --main-endpoint');
  });

  it('has etcd defaults', () => {
    const c = parseFlags([]) as StoreConfig;
    expect(c).toMatchObject({
      progressIntervalMs: 600_000,
      maxTxnOps: 128,
      maxRequestBytes: 1_572_864,
      fsync: true,
      autoCompactionRetention: 0,
    });
    expect((parseFlags(['--auto-compaction-retention=2']) as StoreConfig).autoCompactionRetention).toBe(7_200_000);
  });

  it('has bounded watch and lease defaults and no insecure opt-in unless asked', () => {
    expect(parseFlags([])).toMatchObject({
      maxWatchPendingBytes: 64 * 1024 * 1024,
      maxWatchesPerConnection: 10_000,
      maxLeases: 100_000,
      allowUnauthenticatedTcp: false,
      allowNonLoopbackMetrics: false,
    });
    expect(
      parseFlags([
        '--max-leases=5',
        '--max-watches-per-connection=2',
        '--max-watch-pending-bytes=1024',
        '--insecure-allow-unauthenticated-tcp',
        '--insecure-allow-non-loopback-metrics',
      ]),
    ).toMatchObject({
      maxWatchPendingBytes: 1024,
      maxWatchesPerConnection: 2,
      maxLeases: 5,
      allowUnauthenticatedTcp: true,
      allowNonLoopbackMetrics: true,
    });
    expect(() => parseFlags(['--max-leases=0'])).toThrow('--max-leases: "0" is not a positive integer');
  });

  it('bounds the SQLite WAL at 32 MiB unless told otherwise', () => {
    expect((parseFlags([]) as StoreConfig).walSizeLimitBytes).toBe(32 * 1024 * 1024);
    expect((parseFlags(['--wal-size-limit=1048576']) as StoreConfig).walSizeLimitBytes).toBe(1_048_576);
    expect(() => parseFlags(['--wal-size-limit=0'])).toThrow('--wal-size-limit: "0" is not a positive integer');
  });

  it('keeps a label index only with --label-index=on', () => {
    expect((parseFlags([]) as StoreConfig).labelIndex).toBe(false);
    expect((parseFlags(['--label-index=on']) as StoreConfig).labelIndex).toBe(true);
    expect((parseFlags(['--label-index', 'off']) as StoreConfig).labelIndex).toBe(false);
    expect(() => parseFlags(['--label-index=yes'])).toThrow('--label-index: "yes" is not a setting');
  });

  it('filters by pushed-down selectors unless --selector-pushdown=off', () => {
    expect((parseFlags([]) as StoreConfig).selectorPushdown).toBe(true);
    expect((parseFlags(['--selector-pushdown=off']) as StoreConfig).selectorPushdown).toBe(false);
    expect((parseFlags(['--selector-pushdown', 'on']) as StoreConfig).selectorPushdown).toBe(true);
    expect(() => parseFlags(['--selector-pushdown=no'])).toThrow('--selector-pushdown: "no" is not a setting');
  });

  it('serves KV and Watch on the lean path unless --grpc-impl or CNPAAS_STORE_GRPC_IMPL says grpc-js', () => {
    const saved = process.env.CNPAAS_STORE_GRPC_IMPL;
    try {
      delete process.env.CNPAAS_STORE_GRPC_IMPL;
      expect((parseFlags([]) as StoreConfig).grpcImpl).toBe('lean');
      expect((parseFlags(['--grpc-impl=grpc-js']) as StoreConfig).grpcImpl).toBe('grpc-js');
      process.env.CNPAAS_STORE_GRPC_IMPL = 'grpc-js';
      expect((parseFlags([]) as StoreConfig).grpcImpl).toBe('grpc-js');
      // The flag wins over the environment.
      expect((parseFlags(['--grpc-impl=lean']) as StoreConfig).grpcImpl).toBe('lean');
    } finally {
      if (saved === undefined) delete process.env.CNPAAS_STORE_GRPC_IMPL;
      else process.env.CNPAAS_STORE_GRPC_IMPL = saved;
    }
  });

  it.each([
    [['--nope'], "Unknown option '--nope'"],
    [['--grpc-impl=fast'], '--grpc-impl: "fast" is not an implementation'],
    [['--max-txn-ops=0'], '--max-txn-ops: "0" is not a positive integer'],
    [['--watch-progress-notify-interval=soon'], 'is not a duration'],
    [
      ['--auto-compaction-mode=revision', '--auto-compaction-retention=1h'],
      'does not fit --auto-compaction-mode=revision',
    ],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(StoreError);
    expect(() => parseFlags(argv)).toThrow(message);
  });

  it('parses Go durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2.5s')).toBe(2500);
    expect(parseDuration('5')).toBeUndefined();
  });
});
