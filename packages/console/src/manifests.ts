/** The console's manifests (its least-privilege RBAC), shipped in the package's manifests/. */
import { fileURLToPath } from 'node:url';

/** The CN of the console's client certificate; manifests/rbac.yaml binds it. */
export const CONSOLE_CLIENT_NAME = 'cnpaas-console';

export function manifestPath(file: 'rbac.yaml'): string {
  return fileURLToPath(new URL(`../manifests/${file}`, import.meta.url));
}
