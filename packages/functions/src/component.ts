/**
 * The component descriptors of this package (DESIGN.md "Contracts between
 * packages"): the SMTP sink and the email function, as the platform's one
 * supervisor runs them (started in that order, step 8, before the trigger).
 * Plain objects; the platform decides paths and ports and passes them in.
 * Same shape as @cnpaas/webhooks' descriptor.
 */
import { fileURLToPath } from 'node:url';
import { TRIGGER_CLIENT_NAME } from './function/config.js';
import { hostPort } from './listen-address.js';

/** The CN of the function's own client certificate; manifests/rbac.yaml binds it. */
export const FUNCTION_CLIENT_NAME = 'cnpaas-email-function';
export { TRIGGER_CLIENT_NAME };

export interface CertificateNeed {
  id: string;
  kind: 'serving' | 'client' | 'ca';
  purpose: string;
  commonName?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
}

export interface ComponentDescriptor {
  name: string;
  command: string[];
  env: Record<string, string>;
  healthUrl: string;
  readyUrl: string;
  metricsUrl: string;
  manifests: { beforeStart: string[]; afterReady: string[] };
  certificates: CertificateNeed[];
}

function binPath(name: string): string {
  return fileURLToPath(new URL(`../bin/${name}.js`, import.meta.url));
}

export function manifestPath(file: string): string {
  return fileURLToPath(new URL(`../manifests/${file}`, import.meta.url));
}

export interface SmtpComponentOptions {
  /** Default 127.0.0.1 (AUTH in plain text: loopback only). */
  host?: string;
  port: number;
  /** /healthz, /readyz, /metrics over plain HTTP on loopback. */
  healthPort: number;
  /** `<state-dir>/mail`. */
  mailDir: string;
  user: string;
  /** A file (mode 0600) whose first line is the AUTH password; the function gets the same file. */
  passwordFile: string;
  logLevel?: string;
}

export function smtpComponent(options: SmtpComponentOptions): ComponentDescriptor {
  const host = options.host ?? '127.0.0.1';
  const health = `http://${hostPort(host, options.healthPort)}`;
  return {
    name: 'smtp',
    command: [
      process.execPath,
      binPath('cnpaas-smtp'),
      '--listen', hostPort(host, options.port),
      '--listen-health', hostPort(host, options.healthPort),
      '--mail-dir', options.mailDir,
      '--user', options.user,
      '--password-file', options.passwordFile,
    ],
    env: { LOG_LEVEL: options.logLevel ?? 'info' },
    healthUrl: `${health}/healthz`,
    readyUrl: `${health}/readyz`,
    metricsUrl: `${health}/metrics`,
    manifests: { beforeStart: [], afterReady: [] },
    certificates: [],
  };
}

export interface FunctionComponentOptions {
  host?: string;
  port: number;
  certFile: string;
  keyFile: string;
  /** CA of the trigger's client certificate. */
  clientCaFile: string;
  kubeconfig: string;
  smtp: { host: string; port: number; user: string; passwordFile: string; tls: 'implicit' | 'starttls' | 'opportunistic' | 'none'; caFile?: string };
  logLevel?: string;
}

export function emailFunctionComponent(options: FunctionComponentOptions): ComponentDescriptor {
  const host = options.host ?? '127.0.0.1';
  const base = `https://${hostPort(host, options.port)}`;
  return {
    name: 'email-function',
    command: [
      process.execPath,
      binPath('cnpaas-email-function'),
      '--listen', hostPort(host, options.port),
      '--cert-file', options.certFile,
      '--key-file', options.keyFile,
      '--client-ca-file', options.clientCaFile,
      '--allowed-client-names', TRIGGER_CLIENT_NAME,
      '--kubeconfig', options.kubeconfig,
    ],
    // Credentials by file, never in argv or env values that `ps e` would show.
    env: {
      LOG_LEVEL: options.logLevel ?? 'info',
      SMTP_HOST: options.smtp.host,
      SMTP_PORT: String(options.smtp.port),
      SMTP_USERNAME: options.smtp.user,
      SMTP_PASSWORD_FILE: options.smtp.passwordFile,
      SMTP_TLS: options.smtp.tls,
      ...(options.smtp.caFile ? { SMTP_CA_FILE: options.smtp.caFile } : {}),
    },
    healthUrl: `${base}/healthz`,
    readyUrl: `${base}/readyz`,
    metricsUrl: `${base}/metrics`,
    manifests: { beforeStart: [manifestPath('rbac.yaml')], afterReady: [] },
    certificates: [
      {
        id: 'email-function-serving',
        kind: 'serving',
        purpose: 'the HTTPS certificate the trigger checks when it POSTs an Email',
        commonName: FUNCTION_CLIENT_NAME,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
      },
      {
        id: 'trigger-client',
        kind: 'client',
        purpose: 'presented by the trigger to the function (HTTPTrigger auth.tls); signed by the CA in --client-ca-file',
        commonName: TRIGGER_CLIENT_NAME,
      },
      {
        id: 'email-function-client',
        kind: 'client',
        purpose: 'the function\'s identity towards kube-apiserver (get emails, patch emails/status), bound by manifests/rbac.yaml',
        commonName: FUNCTION_CLIENT_NAME,
      },
    ],
  };
}
