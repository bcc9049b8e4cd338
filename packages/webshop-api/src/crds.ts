/**
 * Where the CRD files are, for whoever applies them (the operator's manifest
 * list, so the platform's `cnpaas up`) and for tests that read them. They
 * ship in this package's `manifests/crds/`, the one copy: the generated
 * TypeScript is made from the same files.
 */
import { fileURLToPath } from 'node:url';

/** Relative to manifests/, in apply order; the order matters only for people reading `kubectl apply` output. */
export const CRD_FILES = [
  'crds/registrationrequests.yaml',
  'crds/tenants.yaml',
  'crds/users.yaml',
  'crds/emails.yaml',
  'crds/emailtemplates.yaml',
] as const;

/** Absolute path of a file in manifests/ (the same from src/ under vitest and from dist/). */
export function manifestPath(file: string): string {
  return fileURLToPath(new URL(`../manifests/${file}`, import.meta.url));
}

/** The webshop CRDs' absolute paths, in apply order. */
export function crdManifests(): string[] {
  return CRD_FILES.map(manifestPath);
}
