/**
 * The command line of cnpaas-console. Every flag also reads an environment
 * variable (flags win). The token is better passed as CNPAAS_CONSOLE_TOKEN:
 * a flag shows in `ps`.
 */
import { resolve } from 'node:path';
import { flagTable, parseListenFlag, readFlags, type KubeconfigSource } from '@cnpaas/service-kit';
import { checkExposure } from './access.js';
import { ConsoleError } from './errors.js';
import { checkStoreMetricsUrl } from './store-keys.js';

export interface ConsoleConfig extends KubeconfigSource {
  host: string;
  port: number;
  token: string | undefined;
  topology: string | undefined;
  mailDir: string | undefined;
  storeMetricsUrl: string | undefined;
  logLevel: string;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8090;

export const USAGE = `Usage: cnpaas-console [flags]

A web console for the webshop: sign people up, watch every webshop object arrive in the
store backend that holds it, and read the demo inbox.

  --kubeconfig FILE      the console's own identity (cnpaas-console; packages/console/       KUBECONFIG
                         manifests/rbac.yaml says what it may do) (required outside a pod)
  --host HOST            where to listen (default ${DEFAULT_HOST}); anything but loopback        CNPAAS_CONSOLE_HOST
                         requires --token
  --port PORT            (default ${DEFAULT_PORT}; 0 picks a free one)                            CNPAAS_CONSOLE_PORT
  --listen HOST:PORT     both at once, as the other cnpaas servers take it (not with         CNPAAS_CONSOLE_LISTEN
                         --host or --port)
  --token TOKEN          a bearer token (at least 16 characters) every API call must carry;  CNPAAS_CONSOLE_TOKEN
                         the browser asks for it once
  --topology FILE        the store's topology file: one column per backend (default: one     CNPAAS_CONSOLE_TOPOLOGY
                         column, main)
  --mail-dir DIR         the demo SMTP sink's directory (<state-dir>/mail) for the inbox       CNPAAS_CONSOLE_MAIL_DIR
  --store-metrics-url URL  the store's /metrics (e.g. http://127.0.0.1:2381/metrics): live     CNPAAS_CONSOLE_STORE_METRICS_URL
                         key counts per backend in the data fabric's columns
  --log-level LEVEL      trace, debug, info (default), warn, error                           LOG_LEVEL
  --help, --version
`;

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ConsoleConfig | 'help' | 'version' {
  const flags = readFlags({
    bin: 'cnpaas-console',
    argv,
    env,
    error: ConsoleError.kit,
    flags: flagTable({
      envPrefix: 'CNPAAS_CONSOLE',
      strings: ['host', 'port', 'listen', 'token', 'topology', 'mail-dir', 'store-metrics-url'],
      kubeconfig: true,
    }),
  });
  if (typeof flags === 'string') return flags;
  const listen = flags.value('listen');
  if (listen !== undefined && (flags.value('host') !== undefined || flags.value('port') !== undefined)) {
    throw flags.bad('listen', {
      reason: 'was given with --host or --port',
      hint: 'give --listen HOST:PORT alone, or --host and --port',
    });
  }
  const address =
    listen === undefined
      ? undefined
      : parseListenFlag(listen, { flag: 'listen', example: `0.0.0.0:${DEFAULT_PORT}`, error: ConsoleError.kit });
  const host = address?.host ?? flags.value('host') ?? DEFAULT_HOST;
  const portText = address ? String(address.port) : flags.value('port');
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || portText?.trim() === '') {
    throw flags.bad('port', { reason: `"${portText}" is not a port number`, hint: `e.g. --port ${DEFAULT_PORT}` });
  }
  const token = flags.value('token');
  checkExposure(host, token);
  const kube = flags.kubeconfig("pass the console's kubeconfig (identity cnpaas-console), or set KUBECONFIG");
  const topology = flags.value('topology');
  const mailDir = flags.value('mail-dir');
  const metrics = flags.value('store-metrics-url');
  return {
    host,
    port,
    token,
    topology: topology ? resolve(topology) : undefined,
    mailDir: mailDir ? resolve(mailDir) : undefined,
    storeMetricsUrl: metrics ? checkStoreMetricsUrl(metrics) : undefined,
    ...kube,
    logLevel: flags.logLevel(),
  };
}
