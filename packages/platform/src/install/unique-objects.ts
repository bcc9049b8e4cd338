/**
 * The objects several services bring, each once. Two services may ship the
 * same object: a generated `--function` service brings the HTTPTrigger CRD
 * so that it installs without the webshop, which brings it too. Identical
 * copies are applied once, so the inventory lists the object once and
 * uninstall's data check counts it once; copies that differ are a conflict
 * install refuses before it writes anything, since whichever came last would
 * silently win.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ManifestObject } from '@cnpaas/service-kit/manifests';
import { PlatformError } from '../errors.js';

/** Group, kind, namespace and name: what the API server tells objects apart by (any version of the group). */
function identity(o: ManifestObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return [group, o.kind, o.metadata.namespace ?? '', o.metadata.name].join('|');
}

export function uniqueObjects(objects: readonly ManifestObject[]): ManifestObject[] {
  const seen = new Map<string, ManifestObject>();
  const out: ManifestObject[] = [];
  for (const o of objects) {
    const key = identity(o);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, o);
      out.push(o);
    } else if (!isDeepStrictEqual(first, o)) {
      const where = o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
      throw new PlatformError(
        'CNPAAS_PLATFORM_INSTALL',
        `two of the services to install bring ${o.kind} ${where}, and the two copies differ`,
        {
          hint: 'make them the same (take the object from the package that owns it), or install those services with separate cnpaas installs',
        },
      );
    }
  }
  return out;
}
