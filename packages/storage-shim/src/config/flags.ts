import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { StoreError } from '../errors.js';
import { WAL_SIZE_LIMIT_BYTES } from '../drivers/checkpointer.js';
import { parseDuration } from './duration.js';
import type { GrpcImpl } from '../server/lean/lean-paths.js';
import type { PasswordSource } from '../drivers/connection-settings.js';

/** The store's command line, with etcd's flag names so existing habits and scripts carry over. */
export interface StoreConfig {
  listenClientUrls: string[];
  listenMetricsUrls: string[];
  dataDir: string;
  topologyFile: string | undefined;
  /** Where the default backend and the store's meta live when not in the data dir: a shared network database (replicas). */
  mainEndpoint: string | undefined;
  /** Where --main-endpoint's password comes from when it is not in the URL (a command line is visible in ps). */
  mainPassword: PasswordSource | undefined;
  /** --main-max-open: the connections the --main-endpoint backend may hold, as connectionPool.maxOpen (0: the default). */
  mainMaxOpen: number;
  /** Record this replica's topology in the main database, replacing the one there (docs/replicas.md). */
  replaceTopology: boolean;
  certFile: string | undefined;
  keyFile: string | undefined;
  trustedCaFile: string | undefined;
  clientCertAuth: boolean;
  progressIntervalMs: number;
  autoCompactionMode: 'periodic' | 'revision';
  /** periodic: milliseconds; revision: revisions to keep. 0 disables. */
  autoCompactionRetention: number;
  maxTxnOps: number;
  maxRequestBytes: number;
  fsync: boolean;
  logLevel: string;
  /** Opt-in for TCP listeners without client certificates on non-loopback addresses. */
  allowUnauthenticatedTcp: boolean;
  /** Opt-in for --listen-metrics-urls on non-loopback addresses. */
  allowNonLoopbackMetrics: boolean;
  /** Bytes of watch responses a stream may have queued, unsent, before its watchers are cancelled. */
  maxWatchPendingBytes: number;
  maxWatchesPerConnection: number;
  maxLeases: number;
  /** Bytes a SQLite WAL file is cut back to once its pages are checkpointed. */
  walSizeLimitBytes: number;
  /** Who serves KV and Watch: the lean path on node:http2, or grpc-js like every other service. */
  grpcImpl: GrpcImpl;
  /** Selector push-down: false makes the store ignore the selector fields, as etcd does. */
  selectorPushdown: boolean;
  /** Keep a label index in each SQLite backend, so a label-selected Range reads only what may match. */
  labelIndex: boolean;
}

export const USAGE = `Usage: cnpaas-store [flags]

An etcd v3 compatible store over SQLite, routing keys to backend files.

  --listen-client-urls URLS     comma-separated http://IP:PORT, https://IP:PORT, unix:///path
                                (default http://127.0.0.1:2379)
  --data-dir DIR                where main.db, meta.db and relative backend files live
                                (default ./default.cnpaas-store)
  --topology FILE               backend routing (HariKube TopologyConfig format); SIGHUP reloads it
  --main-endpoint URL           keep the default backend and the store's meta in this PostgreSQL,
                                MySQL or MariaDB database instead of main.db and meta.db, so that
                                several stores (replicas) can serve the same data at once; their
                                --topology must route alike, to network databases only
  --main-password-file FILE     the --main-endpoint password, read from FILE (one trailing newline
                                dropped) instead of the URL, which other users can see in ps
  --main-password-env NAME      the same, from the environment variable NAME
  --main-max-open N             connections the --main-endpoint backend may hold: a writer, a reader
                                and N - 2 for the reads that do not block (0: 2 + 8, the default;
                                1 is refused); a replica on PostgreSQL also listens on one more
  --replace-topology            record this replica's --topology in the --main-endpoint database as
                                the one every replica must run with, replacing the recorded one
                                (replicas still running with the old one stop); only after
                                stopping every replica, as docs/replicas.md describes
  --cert-file, --key-file FILE  serving certificate for https:// URLs
  --trusted-ca-file FILE        CA for client certificates
  --client-cert-auth            require a client certificate signed by --trusted-ca-file (https:// only)
  --insecure-allow-unauthenticated-tcp
                                allow http://, or https:// without --client-cert-auth, on a
                                non-loopback address (anyone who reaches it can read every key)
  --listen-metrics-urls URLS    comma-separated http://IP:PORT serving /metrics, /healthz, /readyz
                                (loopback only unless --insecure-allow-non-loopback-metrics)
  --insecure-allow-non-loopback-metrics
                                allow --listen-metrics-urls on a non-loopback address
  --experimental-watch-progress-notify-interval DURATION
                                (alias --watch-progress-notify-interval; default 10m)
  --auto-compaction-mode MODE   periodic (default) or revision
  --auto-compaction-retention N periodic: a duration (a bare number is hours); revision: revisions
                                to keep; 0 (default) turns it off
  --max-txn-ops N               operations per txn branch (default 128)
  --max-request-bytes N         largest write request (default 1572864)
  --max-watch-pending-bytes N   watch responses a stream may have queued, unread by the client,
                                before its watchers are cancelled (default 67108864)
  --max-watches-per-connection N
                                watchers on one client connection (default 10000)
  --max-leases N                leases in the whole store (default 100000)
  --wal-size-limit N            bytes a SQLite file's WAL is cut back to once checkpointed: when
                                writes pause, or while they go on once it is past twice this
                                (default ${WAL_SIZE_LIMIT_BYTES})
  --grpc-impl IMPL              who serves KV and Watch: lean (default; straight on node:http2) or
                                grpc-js (as every other service); env CNPAAS_STORE_GRPC_IMPL
  --selector-pushdown on|off    filter Range and Watch by the label and field selectors a
                                push-down kube-apiserver sends (default on; off: ignore them,
                                as etcd does, and let kube-apiserver filter everything)
  --label-index on|off          keep a label index in each SQLite backend, written with every
                                version, so a label-selected Range reads only the objects that
                                carry the label (default off: no cost per write; turn it on with
                                push-down and kube-apiserver storing JSON)
  --unsafe-no-fsync             do not fsync commits (tests only: writes can be lost on power loss)
  --log-level LEVEL             trace, debug, info (default), warn, error
  --help, --version
`;

function bad(flag: string, reason: string, hint: string): StoreError {
  return new StoreError('CNPAAS_STORE_BAD_FLAG', `--${flag}: ${reason}`, hint);
}

/** --main-password-file or --main-password-env: one of them, and only beside --main-endpoint. */
function mainPassword(values: Record<string, string | boolean | undefined>): PasswordSource | undefined {
  const file = values['main-password-file'] as string | undefined;
  const env = values['main-password-env'] as string | undefined;
  if (file === undefined && env === undefined) return undefined;
  const flag = file !== undefined ? 'main-password-file' : 'main-password-env';
  if (file !== undefined && env !== undefined)
    throw bad(
      flag,
      'and --main-password-env are both given',
      'keep one of them: the password comes from one place only',
    );
  if (values['main-endpoint'] === undefined)
    throw bad(flag, 'is given without --main-endpoint', 'add --main-endpoint URL (without the password), or drop it');
  if (file !== undefined) {
    if (file === '') throw bad(flag, 'is empty', 'give the path of a file that holds the password');
    return { file: resolve(file), setBy: '--main-password-file' };
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(env!))
    throw bad(flag, `"${env}" is not an environment variable name`, 'give a name like CNPAAS_MAIN_PASSWORD');
  return { env: env!, setBy: '--main-password-env' };
}

/** --main-max-open, as a topology's connectionPool.maxOpen: 0 (the default pool), or 2 and more; only beside --main-endpoint. */
function mainMaxOpen(values: Record<string, string | boolean | undefined>): number {
  const raw = values['main-max-open'] as string | undefined;
  if (raw === undefined) return 0;
  if (values['main-endpoint'] === undefined)
    throw bad('main-max-open', 'is given without --main-endpoint', 'add --main-endpoint URL, or drop it');
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw bad('main-max-open', `"${raw}" is not a whole number`, 'e.g. --main-max-open=10');
  if (n === 1)
    throw bad(
      'main-max-open',
      'is 1, but the main backend needs two connections (one for its write batch, one for reads)',
      'give 2 or more, or 0 for the default pool',
    );
  return n;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function integer(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw bad(flag, `"${value}" is not a positive integer`, `e.g. --${flag}=${fallback}`);
  return n;
}

export function parseFlags(argv: string[]): StoreConfig | 'help' | 'version' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'listen-client-urls': { type: 'string' },
        'listen-metrics-urls': { type: 'string' },
        'data-dir': { type: 'string' },
        topology: { type: 'string' },
        'main-endpoint': { type: 'string' },
        'main-password-file': { type: 'string' },
        'main-password-env': { type: 'string' },
        'main-max-open': { type: 'string' },
        'replace-topology': { type: 'boolean' },
        'cert-file': { type: 'string' },
        'key-file': { type: 'string' },
        'trusted-ca-file': { type: 'string' },
        'client-cert-auth': { type: 'boolean' },
        'experimental-watch-progress-notify-interval': { type: 'string' },
        'watch-progress-notify-interval': { type: 'string' },
        'auto-compaction-mode': { type: 'string' },
        'auto-compaction-retention': { type: 'string' },
        'max-txn-ops': { type: 'string' },
        'max-request-bytes': { type: 'string' },
        'unsafe-no-fsync': { type: 'boolean' },
        'insecure-allow-unauthenticated-tcp': { type: 'boolean' },
        'insecure-allow-non-loopback-metrics': { type: 'boolean' },
        'max-watch-pending-bytes': { type: 'string' },
        'wal-size-limit': { type: 'string' },
        'max-watches-per-connection': { type: 'string' },
        'max-leases': { type: 'string' },
        'log-level': { type: 'string' },
        'grpc-impl': { type: 'string' },
        'selector-pushdown': { type: 'string' },
        'label-index': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new StoreError('CNPAAS_STORE_BAD_FLAG', (err as Error).message, 'run cnpaas-store --help for the flags');
  }
  if (values.help) return 'help';
  if (values.version) return 'version';

  const progressText = (values['experimental-watch-progress-notify-interval'] ??
    values['watch-progress-notify-interval'] ??
    '10m') as string;
  const progressIntervalMs = parseDuration(progressText);
  if (progressIntervalMs === undefined) {
    throw bad(
      'experimental-watch-progress-notify-interval',
      `"${progressText}" is not a duration`,
      'e.g. 10m, 5s or 500ms',
    );
  }
  const mode = (values['auto-compaction-mode'] ?? 'periodic') as string;
  if (mode !== 'periodic' && mode !== 'revision')
    throw bad('auto-compaction-mode', `"${mode}" is not a mode`, 'use periodic or revision');
  const retentionText = (values['auto-compaction-retention'] ?? '0') as string;
  let retention: number | undefined;
  if (mode === 'revision') retention = /^\d+$/.test(retentionText) ? Number(retentionText) : undefined;
  else
    retention = /^\d+(\.\d+)?$/.test(retentionText) ? Number(retentionText) * 3_600_000 : parseDuration(retentionText);
  if (retention === undefined) {
    throw bad(
      'auto-compaction-retention',
      `"${retentionText}" does not fit --auto-compaction-mode=${mode}`,
      mode === 'revision'
        ? 'give a number of revisions, e.g. 10000'
        : 'give a duration such as 1h or 30m (a bare number is hours)',
    );
  }
  const logLevel = (values['log-level'] ?? 'info') as string;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw bad('log-level', `"${logLevel}" is not a level`, 'use debug, info, warn or error');
  }
  const grpcImpl = (values['grpc-impl'] ?? process.env.CNPAAS_STORE_GRPC_IMPL ?? 'lean') as string;
  if (grpcImpl !== 'lean' && grpcImpl !== 'grpc-js')
    throw bad('grpc-impl', `"${grpcImpl}" is not an implementation`, 'use lean or grpc-js');
  const pushdown = (values['selector-pushdown'] ?? 'on') as string;
  if (pushdown !== 'on' && pushdown !== 'off')
    throw bad('selector-pushdown', `"${pushdown}" is not a setting`, 'use on or off');
  if (values['replace-topology'] && values['main-endpoint'] === undefined) {
    throw bad(
      'replace-topology',
      'is given without --main-endpoint',
      'only replicas record their topology: add --main-endpoint URL, or drop --replace-topology',
    );
  }
  const labelIndex = (values['label-index'] ?? 'off') as string;
  if (labelIndex !== 'on' && labelIndex !== 'off')
    throw bad('label-index', `"${labelIndex}" is not a setting`, 'use on or off');
  return {
    grpcImpl,
    selectorPushdown: pushdown === 'on',
    labelIndex: labelIndex === 'on',
    listenClientUrls:
      list(values['listen-client-urls'] as string | undefined).length > 0
        ? list(values['listen-client-urls'] as string)
        : ['http://127.0.0.1:2379'],
    listenMetricsUrls: list(values['listen-metrics-urls'] as string | undefined),
    dataDir: resolve((values['data-dir'] as string | undefined) ?? 'default.cnpaas-store'),
    topologyFile: values.topology ? resolve(values.topology as string) : undefined,
    mainEndpoint: values['main-endpoint'] as string | undefined,
    mainPassword: mainPassword(values),
    mainMaxOpen: mainMaxOpen(values),
    replaceTopology: !!values['replace-topology'],
    certFile: values['cert-file'] as string | undefined,
    keyFile: values['key-file'] as string | undefined,
    trustedCaFile: values['trusted-ca-file'] as string | undefined,
    clientCertAuth: !!values['client-cert-auth'],
    progressIntervalMs,
    autoCompactionMode: mode,
    autoCompactionRetention: retention,
    maxTxnOps: integer('max-txn-ops', values['max-txn-ops'] as string | undefined, 128),
    maxRequestBytes: integer('max-request-bytes', values['max-request-bytes'] as string | undefined, 1_572_864),
    fsync: !values['unsafe-no-fsync'],
    logLevel,
    allowUnauthenticatedTcp: !!values['insecure-allow-unauthenticated-tcp'],
    allowNonLoopbackMetrics: !!values['insecure-allow-non-loopback-metrics'],
    maxWatchPendingBytes: integer(
      'max-watch-pending-bytes',
      values['max-watch-pending-bytes'] as string | undefined,
      64 * 1024 * 1024,
    ),
    maxWatchesPerConnection: integer(
      'max-watches-per-connection',
      values['max-watches-per-connection'] as string | undefined,
      10_000,
    ),
    maxLeases: integer('max-leases', values['max-leases'] as string | undefined, 100_000),
    walSizeLimitBytes: integer('wal-size-limit', values['wal-size-limit'] as string | undefined, WAL_SIZE_LIMIT_BYTES),
  };
}
