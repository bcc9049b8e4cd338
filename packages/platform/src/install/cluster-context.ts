/**
 * The context `cnpaas install` hands a service's cluster part
 * (@cnpaas/service-kit's `ClusterContext`): values and key pairs kept in the
 * cluster's Secrets, and manifest files with their placeholders filled. The
 * CAs a service owns come back as Secrets with its objects, so they are
 * applied (and kept) too.
 *
 * Without a cluster (the check before anything is written) nothing is read:
 * every value and key pair is new, which is enough to know what install will
 * create.
 */
import { readFileSync } from 'node:fs';
import type { ClusterCa, ClusterContext, ServiceClusterPart } from '@cnpaas/service-kit';
import { parseManifests, type ManifestObject } from '@cnpaas/service-kit/manifests';
import { fillPlaceholders } from '../apply-manifests.js';
import { PlatformError } from '../errors.js';
import type { CertificateAuthority } from '../pki.js';
import type { Cluster } from './cluster.js';
import { installedValue, keptCa, keptCertificate } from './kept-pki.js';

/** Every part's objects, each part's own CAs' Secrets first. `dir` is private and removed by the caller. */
export async function clusterPartObjects(options: {
  parts: readonly ServiceClusterPart[];
  /** The install's namespace (every part's). */
  namespace: string;
  /** Undefined: read nothing (the check before the first write). */
  cluster: Cluster | undefined;
  dir: string;
  servingCaPem: string;
}): Promise<ManifestObject[]> {
  const { cluster, dir, namespace } = options;
  const cas = new Map<string, CertificateAuthority>();
  const out: ManifestObject[] = [];
  for (const part of options.parts) {
    const ownCas: ManifestObject[] = [];
    const ctx: ClusterContext = {
      namespace,
      servingCaPem: options.servingCaPem,
      installed: async (name, key) => (cluster ? installedValue(cluster, { namespace, name }, key) : undefined),
      async ownCa({ secret, commonName }): Promise<ClusterCa> {
        const kept = await keptCa({ cluster, dir, secret: { namespace, name: secret }, commonName });
        cas.set(secret, kept.ca);
        ownCas.push(kept.object);
        return { secret, certPem: kept.certPem };
      },
      async issue(request) {
        const ca = cas.get(request.ca.secret);
        if (!ca) {
          throw new PlatformError(
            'CNPAAS_PLATFORM_SERVICE',
            `a cluster part asked for a certificate from CA ${request.ca.secret}, which ctx.ownCa did not make`,
            { hint: 'pass the ClusterCa that ctx.ownCa returned in the same objects(ctx) call' },
          );
        }
        return keptCertificate({
          ca,
          cluster,
          dir,
          secret: { namespace, name: request.secret },
          spec: {
            name: request.secret,
            commonName: request.commonName,
            usage: request.usage,
            ...(request.dnsNames ? { dnsNames: request.dnsNames } : {}),
          },
        });
      },
      render: ({ files, vars }) =>
        files.flatMap((file) => parseManifests(fillPlaceholders(readFileSync(file, 'utf8'), vars, file), file)),
    };
    const objects = await part.objects(ctx);
    out.push(...ownCas, ...objects);
  }
  return out;
}
