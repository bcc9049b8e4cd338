/** The console's manifests (its least-privilege RBAC), shipped in the package's manifests/. */
import { packageManifestPath } from '@cnpaas/service-kit/manifests';

/** The CN of the console's client certificate; manifests/rbac.yaml binds it. */
export const CONSOLE_CLIENT_NAME = 'cnpaas-console';

/** Absolute path of a file in manifests/ (the same from src/ under vitest and from dist/). */
export function manifestPath(file: 'rbac.yaml'): string {
  return packageManifestPath(import.meta.url, file);
}
