/**
 * The scale run's six custom resource kinds and the topology that gives each
 * its own backend. Six kinds, because the public benchmark this run is shaped
 * after creates six Crossplane kinds per iteration; ours are small and
 * self-contained (no Crossplane), one group, namespaced, with a short spec.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export const GROUP = 'scale.bench.cnpaas.dev';
export const VERSION = 'v1';
export const NAMESPACE = 'scale';

/**
 * The label the public benchmark puts on every object (it makes a patched
 * kube-controller-manager skip them). No controller manager runs here; the
 * label stays so the objects are the same shape.
 */
export const SKIP_METADATA_CACHING_LABEL = 'skip-controller-manager-metadata-caching';

export interface ScaleKind {
  kind: string;
  plural: string;
}

export const KINDS: readonly ScaleKind[] = [
  { kind: 'Bucket', plural: 'buckets' },
  { kind: 'Topic', plural: 'topics' },
  { kind: 'Subscription', plural: 'subscriptions' },
  { kind: 'Instance', plural: 'instances' },
  { kind: 'Network', plural: 'networks' },
  { kind: 'Disk', plural: 'disks' },
];

export function collectionPath(k: ScaleKind): string {
  return `/apis/${GROUP}/${VERSION}/namespaces/${NAMESPACE}/${k.plural}`;
}

export function crd(k: ScaleKind): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: k.kind, plural: k.plural, singular: k.kind.toLowerCase(), listKind: `${k.kind}List` },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    region: { type: 'string', maxLength: 32 },
                    size: { type: 'integer', minimum: 0 },
                    owner: { type: 'string', maxLength: 63 },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** Objects per `batch` label value: a selector on it matches this many of a kind. */
export const BATCH_SIZE = 10;

/** The `batch` label of iteration `i`: iterations 0–9 share batch 0, 10–19 batch 1, and so on. */
export function batchOf(i: number): number {
  return Math.floor(i / BATCH_SIZE);
}

/**
 * One object of a kind: the labels the reads select on (`name`, unique; `batch`, shared by ten
 * iterations), and ~150 bytes of spec.
 */
export function object(k: ScaleKind, name: string, i: number): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: k.kind,
    metadata: { name, labels: { name, batch: String(batchOf(i)), [SKIP_METADATA_CACHING_LABEL]: '' } },
    spec: { region: ['europe-west1', 'us-central1', 'asia-east1'][i % 3], size: i % 1000, owner: `team-${i % 97}` },
  };
}

/** A topology with one SQLite backend per kind; everything else goes to main.db. */
export function writeTopology(dir: string): string {
  const lines = [
    'apiVersion: platform.cnpaas.dev/v1',
    'kind: TopologyConfig',
    'metadata:',
    '  name: scale-bench',
    'spec:',
    '  backends:',
    ...KINDS.flatMap((k) => [
      `    - name: ${k.plural}`,
      `      endpoint: sqlite://${k.plural}.db`,
      `      customresource: { group: ${GROUP}/${VERSION}, kind: ${k.plural} }`,
    ]),
  ];
  const file = path.join(dir, 'scale-topology.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
