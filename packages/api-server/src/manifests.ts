/**
 * The package's manifests (docs/design.md "Contracts between packages"). The
 * files are the cluster form, included unchanged by the Kustomize bases under
 * deploy/; `renderLocalApiService` makes the APIService `cnpaas up` applies,
 * whose server is a process on this machine.
 *
 *   beforeStart: rbac.yaml (the server's identity), registrant-clusterrole.yaml
 *   afterReady:  service.yaml (local only: an ExternalName to localhost), apiservice.yaml (rendered)
 */
import {
  encodeCaBundle as encodePemBundle,
  localApiService,
  manifestsYaml,
  packageManifests,
} from '@cnpaas/service-kit/manifests';
import { ApiServerError } from './errors.js';

export const MANIFEST_FILES = {
  rbac: 'rbac.yaml',
  registrantClusterRole: 'registrant-clusterrole.yaml',
  service: 'service.yaml',
  apiService: 'apiservice.yaml',
} as const;

/** A file in manifests/: its absolute path (the same from src/ under vitest and from dist/), its objects as they are. */
export const { path: manifestPath, read: readManifest } = packageManifests(import.meta.url);

/** base64 of the PEM text (the APIService's caBundle), after checking every certificate in it parses. */
export function encodeCaBundle(pem: string | Buffer): string {
  return encodePemBundle(pem, (_kind, message, options) => new ApiServerError('CNPAAS_API_TLS', message, options));
}

export interface LocalApiServiceOptions {
  /** The port the server listens on; the aggregator dials localhost:PORT through the ExternalName Service. */
  port: number;
  /** PEM of the CA that signed the serving certificate (one or more certificates). */
  servingCaPem: string | Buffer;
}

/** The APIService for `cnpaas up`, as YAML: the server's local port and CA bundle. */
export function renderLocalApiService(options: LocalApiServiceOptions): string {
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new ApiServerError('CNPAAS_API_BAD_FLAG', `APIService port ${options.port} is not a TCP port`, {
      hint: 'pass the port cnpaas-api-server listens on',
    });
  }
  const caBundle = encodeCaBundle(options.servingCaPem);
  return manifestsYaml(
    readManifest(MANIFEST_FILES.apiService).map((o) => localApiService(o, { port: options.port, caBundle })),
  );
}
