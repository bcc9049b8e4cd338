/** Kubeconfig files: one embedded for people (`.cnpaas/kubeconfig`), file references for components. */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { KeyPairFiles } from './pki.js';

export interface KubeconfigOptions {
  server: string;
  caFile: string;
  user: string;
  client: KeyPairFiles;
  /** Embed the PEMs (portable, for people) instead of pointing at the files. */
  embed?: boolean;
}

export function renderKubeconfig(options: KubeconfigOptions): string {
  const b64 = (file: string) => readFileSync(file).toString('base64');
  const cluster = options.embed
    ? { server: options.server, 'certificate-authority-data': b64(options.caFile) }
    : { server: options.server, 'certificate-authority': options.caFile };
  const user = options.embed
    ? { 'client-certificate-data': b64(options.client.cert), 'client-key-data': b64(options.client.key) }
    : { 'client-certificate': options.client.cert, 'client-key': options.client.key };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'cnpaas', cluster }],
    users: [{ name: options.user, user }],
    contexts: [{ name: `${options.user}@cnpaas`, context: { cluster: 'cnpaas', user: options.user } }],
    'current-context': `${options.user}@cnpaas`,
    preferences: {},
  });
}

export function writeKubeconfig(file: string, options: KubeconfigOptions): void {
  writeFileSync(file, renderKubeconfig(options), { mode: 0o600 });
}
