/**
 * The component descriptors of this package (docs/design.md "Contracts between
 * packages"): the SMTP sink, the email function and the watch trigger, as
 * the platform's one supervisor runs them (started in that order, step 8).
 * Plain objects; the platform decides paths and ports and passes them in.
 * The shape is @cnpaas/service-kit's, as for every runnable package.
 */
import {
  listenAddress,
  listeningProcess,
  mtlsProcess,
  type ComponentDescriptor,
  type MtlsComponentOptions,
} from '@cnpaas/service-kit';
import { packageManifestPath } from '@cnpaas/service-kit/manifests';
import { TRIGGER_CLIENT_NAME } from './function/config.js';
import { TRIGGER_NAME } from './trigger/types.js';

/** The CN of the function's own client certificate; manifests/rbac.yaml binds it. */
export const FUNCTION_CLIENT_NAME = 'cnpaas-email-function';
export { TRIGGER_CLIENT_NAME };

function binUrl(name: string): URL {
  return new URL(`../bin/${name}.js`, import.meta.url);
}

/** Absolute path of a file in manifests/ (the same from src/ under vitest and from dist/). */
export function manifestPath(file: string): string {
  return packageManifestPath(import.meta.url, file);
}

export interface SmtpComponentOptions {
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
  /** /healthz, /readyz, /metrics over plain HTTP on loopback. */
  healthPort: number;
  /** `<state-dir>/mail`. */
  mailDir: string;
  user: string;
  /** A file (mode 0600) whose first line is the AUTH password; the function gets the same file. */
  passwordFile: string;
  /** The STARTTLS serving certificate (and key); the sink refuses AUTH before STARTTLS. The function trusts its CA (SMTP_CA_FILE). */
  certFile: string;
  keyFile: string;
  logLevel?: string;
}

export function smtpComponent(options: SmtpComponentOptions): ComponentDescriptor {
  const { host } = options;
  return {
    // /healthz, /readyz and /metrics on the health port.
    ...listeningProcess('smtp', {
      host,
      port: options.healthPort,
      logLevel: options.logLevel,
      bin: binUrl('cnpaas-smtp'),
      scheme: 'http',
      args: [
        '--listen',
        listenAddress({ host, port: options.port }),
        '--listen-health',
        listenAddress({ host, port: options.healthPort }),
        '--mail-dir',
        options.mailDir,
        '--user',
        options.user,
        '--password-file',
        options.passwordFile,
        '--cert-file',
        options.certFile,
        '--key-file',
        options.keyFile,
      ],
    }),
    manifests: { beforeStart: [], afterReady: [] },
    certificates: [
      {
        id: 'smtp-serving',
        kind: 'serving',
        purpose:
          'the STARTTLS certificate of the SMTP sink; the email function checks it (SMTP_CA_FILE) before it sends the AUTH password',
        commonName: 'cnpaas-smtp',
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
      },
    ],
  };
}

export interface FunctionComponentOptions extends MtlsComponentOptions {
  /**
   * The delivery CA: signs the client certificate the demo HTTPTrigger presents (and this server's
   * serving certificate). Never the cluster CA: a certificate kube-apiserver trusts must not be what
   * delivery runs on.
   */
  clientCaFile: string;
  smtp: {
    host: string;
    port: number;
    user: string;
    passwordFile: string;
    tls: 'implicit' | 'starttls' | 'opportunistic' | 'none';
    caFile?: string;
  };
  /** The console's verify page, for the links in welcome mails (--verify-url); default the function's. */
  verifyUrl?: string;
}

export function emailFunctionComponent(options: FunctionComponentOptions): ComponentDescriptor {
  return {
    ...mtlsProcess('email-function', {
      ...options,
      bin: binUrl('cnpaas-email-function'),
      allowedClientNames: [TRIGGER_CLIENT_NAME],
      args: options.verifyUrl ? ['--verify-url', options.verifyUrl] : [],
      // Credentials by file, never in argv or env values that `ps e` would show.
      env: {
        SMTP_HOST: options.smtp.host,
        SMTP_PORT: String(options.smtp.port),
        SMTP_USERNAME: options.smtp.user,
        SMTP_PASSWORD_FILE: options.smtp.passwordFile,
        SMTP_TLS: options.smtp.tls,
        ...(options.smtp.caFile ? { SMTP_CA_FILE: options.smtp.caFile } : {}),
      },
    }),
    manifests: { beforeStart: [manifestPath('rbac.yaml')], afterReady: [] },
    certificates: [
      {
        id: 'delivery-ca',
        kind: 'ca',
        purpose:
          'a CA of its own for delivery, apart from the cluster CA (kube-apiserver does not trust it): --client-ca-file; signs the two certificates below',
        commonName: 'cnpaas-delivery-ca',
      },
      {
        id: 'email-function-serving',
        kind: 'serving',
        purpose:
          "the HTTPS certificate the trigger checks when it POSTs an Email (signed by the delivery CA, the HTTPTrigger's caBundle)",
        commonName: FUNCTION_CLIENT_NAME,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
      },
      {
        id: 'trigger-delivery-client',
        kind: 'client',
        purpose:
          'presented to the function by the demo HTTPTrigger (Secret email-trigger-delivery, its spec.tls.clientSecretRef); signed by the delivery CA',
        commonName: TRIGGER_CLIENT_NAME,
      },
      {
        id: 'email-function-client',
        kind: 'client',
        purpose:
          "the function's identity towards kube-apiserver (get emails, patch emails/status), bound by manifests/rbac.yaml",
        commonName: FUNCTION_CLIENT_NAME,
      },
    ],
  };
}

export interface TriggerComponentOptions {
  /** Default 127.0.0.1: /healthz, /readyz and /metrics are unauthenticated, so loopback only. */
  host?: string;
  /** The HTTP port of /healthz, /readyz and /metrics. */
  port: number;
  /** Kubeconfig with the cnpaas-trigger client identity (towards kube-apiserver only). */
  kubeconfig: string;
  /** host:port targets that may be called although loopback or the apiserver (cnpaas up: its email function). */
  allowTargets?: string[];
  /**
   * A service's own trigger instance: it runs only the HTTPTriggers labelled with this class
   * (`--trigger-class`), beside the demo's, which leaves them alone. The component and the identity its
   * kubeconfig must hold are `<class>-trigger`; its RBAC and HTTPTriggers are the service's manifests, so
   * the descriptor applies only the CRD.
   */
  triggerClass?: string;
  /** Off only for a single replica in tests. Default on (Lease cnpaas-system/cnpaas-trigger, or cnpaas-trigger-<class>). */
  leaderElection?: boolean;
  statusIntervalSeconds?: number;
  logLevel?: string;
}

/** The manifests the trigger ships: CRD and RBAC before it starts, the demo's trigger once it is ready. */
export const TRIGGER_MANIFESTS = {
  crd: 'crds/httptriggers.yaml',
  rbac: 'trigger-rbac.yaml',
  deliverySecret: 'email-trigger-delivery-secret.yaml',
  emailTrigger: 'email-trigger.yaml',
} as const;

/**
 * The watch trigger. Its client certificate (CN cnpaas-trigger, cluster CA)
 * is for kube-apiserver only (User cnpaas-trigger, manifests/trigger-rbac.yaml)
 * and never leaves for a target: targets get no certificate, or the one an
 * HTTPTrigger names in its own Secret. The demo HTTPTrigger names
 * email-trigger-delivery, a certificate from the separate delivery CA that
 * only the email function trusts.
 */
export function triggerComponent(options: TriggerComponentOptions): ComponentDescriptor {
  const args = ['--kubeconfig', options.kubeconfig, '--listen-health', listenAddress(options)];
  if (options.allowTargets?.length) args.push('--allow-target', options.allowTargets.join(','));
  if (options.leaderElection === false) args.push('--no-leader-election');
  if (options.statusIntervalSeconds !== undefined) args.push('--status-interval', `${options.statusIntervalSeconds}s`);
  const { triggerClass } = options;
  if (triggerClass !== undefined) args.push('--trigger-class', triggerClass);
  const identity = triggerClass === undefined ? TRIGGER_NAME : triggerIdentity(triggerClass);
  return {
    // /readyz: 200 once this replica leads and its caches synced; a standby answers 503.
    ...listeningProcess(triggerClass === undefined ? 'trigger' : identity, {
      ...options,
      bin: binUrl('cnpaas-trigger'),
      scheme: 'http',
      args,
    }),
    manifests:
      triggerClass === undefined
        ? {
            beforeStart: [manifestPath(TRIGGER_MANIFESTS.crd), manifestPath(TRIGGER_MANIFESTS.rbac)],
            // Need vars: emailTriggerVars(...). The Secret first: the HTTPTrigger names it.
            afterReady: [manifestPath(TRIGGER_MANIFESTS.deliverySecret), manifestPath(TRIGGER_MANIFESTS.emailTrigger)],
          }
        : { beforeStart: [manifestPath(TRIGGER_MANIFESTS.crd)], afterReady: [] },
    certificates: [
      {
        id: triggerClass === undefined ? 'trigger-client' : `${identity}-client`,
        kind: 'client',
        purpose:
          triggerClass === undefined
            ? "the trigger's identity towards kube-apiserver only (User cnpaas-trigger, manifests/trigger-rbac.yaml); never presented to a target"
            : `the identity of the trigger of class ${triggerClass} towards kube-apiserver only, bound by its service's RBAC; never presented to a target`,
        commonName: identity,
      },
    ],
  };
}

/** The component and client identity of the trigger instance of `triggerClass`. */
export function triggerIdentity(triggerClass: string): string {
  return `${triggerClass}-trigger`;
}

/**
 * The `{{NAME}}` values manifests/email-trigger.yaml and
 * email-trigger-delivery-secret.yaml need: the function's POST URL (its base
 * URL, e.g. https://127.0.0.1:8443, plus /email), the CA that signed its
 * serving certificate, and the delivery client certificate and key, each as
 * base64 of the PEM.
 */
export function emailTriggerVars(options: {
  functionBaseUrl: string;
  caPem: string | Buffer;
  delivery: { certPem: string | Buffer; keyPem: string | Buffer };
}): Record<'EMAIL_FUNCTION_URL' | 'CA_BUNDLE' | 'DELIVERY_TLS_CRT' | 'DELIVERY_TLS_KEY', string> {
  const b64 = (pem: string | Buffer): string => Buffer.from(pem).toString('base64');
  return {
    EMAIL_FUNCTION_URL: `${options.functionBaseUrl.replace(/\/+$/, '')}/email`,
    CA_BUNDLE: b64(options.caPem),
    DELIVERY_TLS_CRT: b64(options.delivery.certPem),
    DELIVERY_TLS_KEY: b64(options.delivery.keyPem),
  };
}
