/**
 * The package's manifests (docs/design.md "Contracts between packages"), in the
 * order they must be applied: the system namespace, the five webshop CRDs
 * (shipped by @cnpaas/webshop-api), the operator's RBAC and its confinement
 * policy, then the default EmailTemplate (which needs its CRD
 * Established first: the applier waits for that condition between CRDs and
 * objects of their kinds). `cnpaas up`, and later kind, apply the same files.
 */
import { packageManifestPath } from '@cnpaas/service-kit/manifests';
import { CRD_FILES, crdManifests as webshopCrdManifests } from '@cnpaas/webshop-api';

export const MANIFEST_FILES = {
  namespace: 'namespace.yaml',
  /** The webshop contract's (@cnpaas/webshop-api `manifests/crds/`), the one copy; listed here for the apply order. */
  crds: CRD_FILES,
  rbac: 'rbac.yaml',
  /** The admission policy that keeps the operator's writes to the objects it made (see the file). */
  confinement: 'confinement-policy.yaml',
  emailTemplate: 'email-template-registration.yaml',
} as const;

/** Absolute path of a file in manifests/ (the same from src/ under vitest and from dist/). */
export function manifestPath(file: string): string {
  return packageManifestPath(import.meta.url, file);
}

/** The CRDs alone (docs/design.md "Start order", step 4: before the webhooks and the operator), from @cnpaas/webshop-api. */
export function crdManifests(): string[] {
  return webshopCrdManifests();
}

/** Every manifest, in apply order. */
export function allManifests(): string[] {
  return [
    manifestPath(MANIFEST_FILES.namespace),
    ...crdManifests(),
    manifestPath(MANIFEST_FILES.rbac),
    manifestPath(MANIFEST_FILES.confinement),
    manifestPath(MANIFEST_FILES.emailTemplate),
  ];
}
