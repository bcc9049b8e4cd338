/** The one pinned Kubernetes version (`scripts/k8s/VERSION`) and where the repo's scripts are. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `scripts/k8s/` of this checkout (the platform runs from the monorepo, src or dist). */
export const K8S_SCRIPTS_DIR = fileURLToPath(new URL('../../../scripts/k8s/', import.meta.url));

export function pinnedKubeVersion(): string {
  const version = readFileSync(`${K8S_SCRIPTS_DIR}VERSION`, 'utf8').trim();
  if (!/^1\.\d+\.\d+$/.test(version))
    throw new Error(`${K8S_SCRIPTS_DIR}VERSION must hold a version like 1.34.10, got "${version}"`);
  return version;
}
