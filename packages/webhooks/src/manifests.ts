/**
 * The package's manifests (docs/design.md "Contracts between packages"):
 * `manifests/rbac.yaml` as is, and the two webhook configurations. The files
 * are the cluster form (the Kustomize bases under deploy/ include them
 * unchanged); `cnpaas up` applies a local rendering of the configurations,
 * made here, only after the server is ready.
 */
import {
  encodeCaBundle as encodePemBundle,
  localWebhookConfiguration,
  manifestsYaml,
  packageManifests,
  type ManifestObject,
} from '@cnpaas/service-kit/manifests';
import { WebhooksError } from './errors.js';

export const MANIFEST_FILES = {
  rbac: 'rbac.yaml',
  mutatingWebhookConfiguration: 'mutating-webhook-configuration.yaml',
  validatingWebhookConfiguration: 'validating-webhook-configuration.yaml',
} as const;

const manifests = packageManifests(import.meta.url);

/** Absolute path of a file in manifests/ (the same from src/ under vitest and from dist/). */
export const manifestPath = manifests.path;

/** manifests/rbac.yaml: the webhooks' own permissions (claims, user lookup). */
export function rbacManifests(): ManifestObject[] {
  return manifests.read(MANIFEST_FILES.rbac);
}

export interface RenderWebhookConfigurationsOptions {
  /** https base URL of the server, e.g. https://127.0.0.1:9443 (each webhook's service path is appended). */
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
  return encodePemBundle(
    caBundle,
    (_kind, message, options) => new WebhooksError('CNPAAS_WEBHOOKS_MANIFEST', message, options),
  );
}

/**
 * The local form of both configurations for `cnpaas up`, whose server is a
 * process on loopback: each webhook's Service reference becomes `baseUrl` +
 * its path, with the CA bundle set. The files stay the cluster form.
 */
export function renderWebhookConfigurations(
  options: RenderWebhookConfigurationsOptions,
): RenderedWebhookConfigurations {
  const baseUrl = checkWebhookBaseUrl(options.baseUrl);
  const caBundle = encodeCaBundle(options.caBundle);
  const objects = [MANIFEST_FILES.mutatingWebhookConfiguration, MANIFEST_FILES.validatingWebhookConfiguration]
    .flatMap((file) => manifests.read(file))
    .map((config) => localWebhookConfiguration(config, { baseUrl, caBundle }));
  const yaml = manifestsYaml(objects);
  return { yaml, objects };
}
