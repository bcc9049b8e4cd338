/**
 * The package's manifests (docs/design.md "Contracts between packages"):
 * `manifests/rbac.yaml` as is, and the two webhook configurations rendered
 * with the server's URL and CA bundle. `cnpaas up` applies the rendered
 * configurations only after the server is ready; kind will apply the same
 * files later.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { WebhooksError } from './errors.js';

export const MANIFEST_FILES = {
  rbac: 'rbac.yaml',
  mutatingWebhookConfiguration: 'mutating-webhook-configuration.yaml',
  validatingWebhookConfiguration: 'validating-webhook-configuration.yaml',
} as const;

const PLACEHOLDER_URL = '{{WEBHOOK_BASE_URL}}';
const PLACEHOLDER_CA = '{{CA_BUNDLE}}';

export type ManifestObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
};

/** Absolute path of a file in manifests/ (the same from src/ under vitest and from dist/). */
export function manifestPath(file: string): string {
  return fileURLToPath(new URL(`../manifests/${file}`, import.meta.url));
}

function parseObjects(text: string, source: string): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as ManifestObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** manifests/rbac.yaml: the webhooks' own permissions (claims, user lookup). */
export function rbacManifests(): ManifestObject[] {
  return parseObjects(readFileSync(manifestPath(MANIFEST_FILES.rbac), 'utf8'), MANIFEST_FILES.rbac);
}

export interface RenderWebhookConfigurationsOptions {
  /** https base URL of the server, e.g. https://127.0.0.1:9443 (paths are appended). */
  baseUrl: string;
  /** PEM of the CA that signed the serving certificate (one or more certificates). */
  caBundle: string | Buffer;
}

export interface RenderedWebhookConfigurations {
  /** Both configurations as one multi-document YAML text, for `kubectl apply -f -`. */
  yaml: string;
  /** The same as objects, for applying through the API. */
  objects: ManifestObject[];
}

/** The apiserver's own rules for a webhook URL (ValidateWebhookURL): https, a host, no user info, query or fragment. */
export function checkWebhookBaseUrl(baseUrl: string): string {
  const bad = (why: string): WebhooksError =>
    new WebhooksError('CNPAAS_WEBHOOKS_MANIFEST', `webhook base URL ${JSON.stringify(baseUrl)} ${why}`, {
      hint: "pass the server's https URL, e.g. https://127.0.0.1:9443",
    });
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw bad('is not a URL');
  }
  if (url.protocol !== 'https:') throw bad('must use https');
  if (!url.hostname) throw bad('has no host');
  if (url.username || url.password) throw bad('must not contain user info');
  if (url.search || baseUrl.includes('?')) throw bad('must not have a query');
  if (url.hash || baseUrl.includes('#')) throw bad('must not have a fragment');
  return url.href.replace(/\/+$/, '');
}

/** base64 of the PEM text, after checking every certificate in it parses. */
export function encodeCaBundle(caBundle: string | Buffer): string {
  const pem = Buffer.isBuffer(caBundle) ? caBundle.toString('utf8') : caBundle;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new WebhooksError('CNPAAS_WEBHOOKS_MANIFEST', 'the CA bundle holds no PEM certificate', {
      hint: 'pass the PEM text of the CA that signed the serving certificate (-----BEGIN CERTIFICATE-----…)',
    });
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new WebhooksError(
        'CNPAAS_WEBHOOKS_MANIFEST',
        `the CA bundle holds a certificate that does not parse: ${(err as Error).message}`,
        {
          hint: "pass the CA certificate file cnpaas up's PKI wrote",
          cause: err,
        },
      );
    }
  }
  return Buffer.from(pem, 'utf8').toString('base64');
}

export function renderWebhookConfigurations(
  options: RenderWebhookConfigurationsOptions,
): RenderedWebhookConfigurations {
  const baseUrl = checkWebhookBaseUrl(options.baseUrl);
  const caBundle = encodeCaBundle(options.caBundle);
  const texts = [MANIFEST_FILES.mutatingWebhookConfiguration, MANIFEST_FILES.validatingWebhookConfiguration].map(
    (file) => {
      const text = readFileSync(manifestPath(file), 'utf8')
        .replaceAll(PLACEHOLDER_URL, baseUrl)
        .replaceAll(PLACEHOLDER_CA, caBundle);
      // Only comments may still mention a placeholder.
      const leftover = text.split('\n').find((line) => !line.trimStart().startsWith('#') && line.includes('{{'));
      if (leftover)
        throw new WebhooksError(
          'CNPAAS_WEBHOOKS_MANIFEST',
          `${file} still has a placeholder after rendering: ${leftover.trim()}`,
        );
      return { file, text };
    },
  );
  const yaml = texts.map((t) => t.text.trimEnd()).join('\n---\n') + '\n';
  const objects = texts.flatMap((t) => parseObjects(t.text, t.file));
  return { yaml, objects };
}
