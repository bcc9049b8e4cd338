/**
 * Reading a package's manifests and rendering them for where they run.
 *
 * A package's `manifests/` directory holds the cluster form of its objects:
 * webhook configurations and APIServices point at a Service, and carry no CA
 * bundle (the installer injects it). That one source serves both ways of
 * running cnpaas: the Kustomize bases under deploy/ include the files as
 * they are, and `cnpaas up`, whose servers are processes on loopback, renders
 * a local copy in which each Service reference becomes an https URL and the
 * CA bundle is filled in. Rendering edits parsed objects, never text, so a
 * file stays valid YAML that Kustomize and kubectl read unchanged.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import type { ErrorFactory } from './errors.js';

export type ManifestObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

/**
 * The absolute path of `manifests/<file>` in the package of the module at
 * `moduleUrl` (its `import.meta.url`), for a module directly in `src/` or
 * `dist/`: the same file under vitest and once built.
 */
export function packageManifestPath(moduleUrl: string, file: string): string {
  return fileURLToPath(new URL(`../manifests/${file}`, moduleUrl));
}

/** A package's own `manifests/`, for the module at `moduleUrl` (see `packageManifestPath`). */
export interface PackageManifests {
  /** The absolute path of `manifests/<file>`. */
  path: (file: string) => string;
  /** Its objects, as they are. */
  read: (file: string) => ManifestObject[];
}

export function packageManifests(moduleUrl: string): PackageManifests {
  const path = (file: string): string => packageManifestPath(moduleUrl, file);
  return { path, read: (file) => readManifests(path(file)) };
}

/** Every object in a multi-document YAML text; `source` names it in errors. */
export function parseManifests(text: string, source: string): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as ManifestObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** Every object in a manifest file. */
export function readManifests(file: string): ManifestObject[] {
  return parseManifests(readFileSync(file, 'utf8'), file);
}

/** Objects as one multi-document YAML text, for `kubectl apply -f`. */
export function manifestsYaml(objects: readonly ManifestObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 }).trimEnd()).join('\n---\n') + '\n';
}

/**
 * base64 of a PEM bundle (a caBundle field), after checking every certificate
 * in it parses: a bundle the apiserver cannot use would otherwise surface only
 * as a TLS failure on the first call.
 */
export function encodeCaBundle(pem: string | Buffer, error: ErrorFactory<'TLS'>): string {
  const text = Buffer.isBuffer(pem) ? pem.toString('utf8') : pem;
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw error('TLS', 'the CA bundle holds no PEM certificate', {
      hint: 'pass the PEM text of the CA that signed the serving certificate (-----BEGIN CERTIFICATE-----...)',
    });
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw error('TLS', `the CA bundle holds a certificate that does not parse: ${(err as Error).message}`, {
        hint: 'pass the CA certificate file the PKI wrote',
        cause: err,
      });
    }
  }
  return Buffer.from(text, 'utf8').toString('base64');
}

/** A webhook's or APIService's reference to the Service in front of its server. */
export interface ServiceReference {
  name: string;
  namespace: string;
  path?: string;
  port?: number;
}

export interface LocalWebhookOptions {
  /** https base URL of the server on this machine, e.g. https://127.0.0.1:9443. */
  baseUrl: string;
  /** base64 PEM, from `encodeCaBundle`. */
  caBundle: string;
}

/**
 * A Mutating- or ValidatingWebhookConfiguration with every webhook's
 * `clientConfig.service` turned into `url` = base URL + the service's path,
 * and the CA bundle set. The input is left as it was.
 */
export function localWebhookConfiguration(config: ManifestObject, options: LocalWebhookOptions): ManifestObject {
  const copy = structuredClone(config);
  const webhooks = (copy['webhooks'] as Array<{ name: string; clientConfig?: { service?: ServiceReference } }>) ?? [];
  for (const webhook of webhooks) {
    const service = webhook.clientConfig?.service;
    if (!service) throw new Error(`${config.kind} ${config.metadata.name}: webhook ${webhook.name} has no service`);
    webhook.clientConfig = {
      url: `${options.baseUrl.replace(/\/+$/, '')}${service.path ?? ''}`,
      caBundle: options.caBundle,
    } as never;
  }
  return copy;
}

export interface LocalApiServiceOptions {
  /** The port the server listens on, on the host the local Service names. */
  port: number;
  /** base64 PEM, from `encodeCaBundle`. */
  caBundle: string;
}

/** An APIService with its service port set to where the local server listens, and the CA bundle set. */
export function localApiService(apiService: ManifestObject, options: LocalApiServiceOptions): ManifestObject {
  const copy = structuredClone(apiService);
  const spec = copy['spec'] as { service?: ServiceReference; caBundle?: string };
  if (!spec.service) throw new Error(`APIService ${apiService.metadata.name} has no service`);
  spec.service.port = options.port;
  spec.caBundle = options.caBundle;
  return copy;
}
