/**
 * The component descriptor of the operator (docs/design.md "Contracts between
 * packages"; the type is @cnpaas/service-kit's): what the platform's one
 * supervisor needs to run it (command, env, health URLs on a loopback HTTP
 * port), which manifests to apply before it starts, and which certificate
 * its PKI must issue. A plain object; the platform decides paths and ports
 * and passes them in.
 */
import { listenAddress, listeningProcess, type ComponentDescriptor } from '@cnpaas/service-kit';
import { allManifests } from './manifests.js';
import { OPERATOR_NAME } from './webshop/names.js';

/** The CN of the operator's client certificate; manifests/rbac.yaml binds it (a User, not a ServiceAccount). */
export const OPERATOR_CLIENT_NAME = OPERATOR_NAME;

export interface OperatorComponentOptions {
  /** Default 127.0.0.1: /healthz, /readyz and /metrics are unauthenticated, so loopback only. */
  host?: string;
  /** The HTTP port of /healthz, /readyz and /metrics. */
  port: number;
  /** Kubeconfig with the cnpaas-operator client identity. */
  kubeconfig: string;
  logLevel?: string;
  /** Minimum age of an email claim before it may be released; default the operator's (10 min). */
  claimGraceSeconds?: number;
  /** cnpaas-api-server's client-certificate user, when it runs with one (`--api-server-user`). */
  apiServerUser?: string;
}

/** The committed launcher the descriptor runs; it imports the build. */
const LAUNCHER = new URL('../bin/cnpaas-operator.js', import.meta.url);

export function operatorComponent(options: OperatorComponentOptions): ComponentDescriptor {
  const args = ['--kubeconfig', options.kubeconfig, '--listen-health', listenAddress(options)];
  if (options.claimGraceSeconds !== undefined) args.push('--claim-grace-seconds', String(options.claimGraceSeconds));
  if (options.apiServerUser !== undefined) args.push('--api-server-user', options.apiServerUser);
  return {
    // /readyz: 200 once this replica leads and its caches synced; a standby answers 503 (see main.ts).
    ...listeningProcess('operator', { ...options, bin: LAUNCHER, scheme: 'http', args }),
    manifests: { beforeStart: allManifests(), afterReady: [] },
    certificates: [
      {
        id: 'operator-client',
        kind: 'client',
        purpose:
          "the operator's identity towards kube-apiserver (all webshop controllers and its leader Lease), bound by manifests/rbac.yaml",
        commonName: OPERATOR_CLIENT_NAME,
      },
    ],
  };
}
