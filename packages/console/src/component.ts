/**
 * The component descriptor of the console (docs/design.md "Contracts between
 * packages"; the type is @cnpaas/service-kit's): what the platform's one
 * supervisor needs to run it. A plain object; the platform decides the port
 * and the paths. On loopback, so no token: like every server of the stack.
 */
import { listeningProcess, type ComponentDescriptor, type ListenOptions } from '@cnpaas/service-kit';
import { CONSOLE_CLIENT_NAME, manifestPath } from './manifests.js';

/** Its port and log level as every descriptor takes them; the console listens on 127.0.0.1 only. */
export interface ConsoleComponentOptions extends Pick<ListenOptions, 'port' | 'logLevel'> {
  /** Kubeconfig with the cnpaas-console client identity. */
  kubeconfig: string;
  /** The store's topology file: one column per backend. */
  topology: string;
  /** The SMTP sink's directory, for the inbox. */
  mailDir: string;
  /** The store's /metrics, for live key counts per backend. */
  storeMetricsUrl?: string;
}

export function consoleComponent(options: ConsoleComponentOptions): ComponentDescriptor {
  return {
    ...listeningProcess('console', {
      ...options,
      bin: new URL('../bin/cnpaas-console.js', import.meta.url),
      scheme: 'http',
      args: [
        '--host',
        '127.0.0.1',
        '--port',
        String(options.port),
        '--kubeconfig',
        options.kubeconfig,
        '--topology',
        options.topology,
        '--mail-dir',
        options.mailDir,
        ...(options.storeMetricsUrl ? ['--store-metrics-url', options.storeMetricsUrl] : []),
      ],
    }),
    manifests: { beforeStart: [manifestPath('rbac.yaml')], afterReady: [] },
    certificates: [
      {
        id: 'console-client',
        kind: 'client',
        purpose:
          "the console's identity towards kube-apiserver (read the webshop kinds, create registrations), bound by manifests/rbac.yaml",
        commonName: CONSOLE_CLIENT_NAME,
      },
    ],
  };
}
