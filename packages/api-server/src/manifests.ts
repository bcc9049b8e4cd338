/**
 * The package's manifests (docs/design.md "Contracts between packages"). The
 * platform applies them with kubectl and fills `{{NAME}}` placeholders from
 * vars it provides; `manifestVars` computes those vars, and `renderManifest`
 * does the same filling for tests and for callers that apply through the API.
 *
 *   beforeStart: rbac.yaml (the server's identity), registrant-clusterrole.yaml
 *   afterReady:  service.yaml (ExternalName), apiservice.yaml (API_SERVER_PORT, CA_BUNDLE)
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ApiServerError } from './errors.js';

export const MANIFEST_FILES = {
  rbac: 'rbac.yaml',
  registrantClusterRole: 'registrant-clusterrole.yaml',
  service: 'service.yaml',
  apiService: 'apiservice.yaml',
} as const;

/** The only placeholders our manifests use. */
export type ManifestVarName = 'API_SERVER_PORT' | 'CA_BUNDLE';
export type ManifestVars = Record<ManifestVarName, string>;

export type ManifestObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
};

/** Absolute path of a file in manifests/ (the same from src/ under vitest and from dist/). */
export function manifestPath(file: string): string {
  return fileURLToPath(new URL(`../manifests/${file}`, import.meta.url));
}

export interface ManifestVarsOptions {
  /** The port the server listens on; the APIService's service port. */
  port: number;
  /** PEM of the CA that signed the serving certificate (one or more certificates). */
  servingCaPem: string | Buffer;
}

/** The vars the platform passes when applying `afterReady`. */
export function manifestVars(options: ManifestVarsOptions): ManifestVars {
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw new ApiServerError('CNPAAS_API_BAD_FLAG', `APIService port ${options.port} is not a TCP port`, {
      hint: 'pass the port cnpaas-api-server listens on',
    });
  }
  return { API_SERVER_PORT: String(options.port), CA_BUNDLE: encodeCaBundle(options.servingCaPem) };
}

/** base64 of the PEM text (the APIService's caBundle), after checking every certificate in it parses. */
export function encodeCaBundle(pem: string | Buffer): string {
  const text = Buffer.isBuffer(pem) ? pem.toString('utf8') : pem;
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new ApiServerError('CNPAAS_API_TLS', 'the CA bundle holds no PEM certificate', {
      hint: 'pass the PEM text of the CA that signed the serving certificate (-----BEGIN CERTIFICATE-----...)',
    });
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new ApiServerError(
        'CNPAAS_API_TLS',
        `the CA bundle holds a certificate that does not parse: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The placeholder names a file uses (comments included: the platform fills those too). */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]!))];
}

/** Fills `{{NAME}}` as the platform does; an unknown name is an error, not an empty string. */
export function renderManifest(file: string, vars: Partial<Record<string, string>> = {}): ManifestObject[] {
  const text = readFileSync(manifestPath(file), 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined)
      throw new ApiServerError('CNPAAS_API_BAD_FLAG', `${file} uses {{${name}}}, which was not provided`);
    return value;
  });
  const objects: ManifestObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as ManifestObject | null;
    if (value) objects.push(value);
  }
  return objects;
}
