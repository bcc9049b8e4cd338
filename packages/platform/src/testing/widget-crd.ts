/** What a test chooses about its Widget kind. */
export interface WidgetCrdOptions {
  /** The API group; example.dev by default. */
  group?: string;
  /** The kind; Widget by default. Its plural is the lower-cased kind plus "s". */
  kind?: string;
  /** The served versions, the first one stored; ['v1'] by default. */
  versions?: string[];
  /** The openAPIV3Schema of every version; by default any object (x-kubernetes-preserve-unknown-fields). */
  schema?: object;
  /** Whether the status subresource is served; true by default. */
  status?: boolean;
  selectableFields?: Array<{ jsonPath: string }>;
  /** spec.conversion (e.g. a Webhook strategy); left out by default, which is `None`. */
  conversion?: object;
}

/**
 * A CustomResourceDefinition of a namespaced kind (Widget, widgets.<group>,
 * version v1, served and stored, unless the options say otherwise), for the
 * live tests that need a custom kind in a real kube-apiserver.
 */
export function widgetCrd(options: WidgetCrdOptions = {}) {
  const group = options.group ?? 'example.dev';
  const kind = options.kind ?? 'Widget';
  const singular = kind.toLowerCase();
  const plural = `${singular}s`;
  const versions = options.versions ?? ['v1'];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular, kind, listKind: `${kind}List` },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        ...(options.status === false ? {} : { subresources: { status: {} } }),
        ...(options.selectableFields ? { selectableFields: options.selectableFields } : {}),
        schema: {
          openAPIV3Schema: options.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      })),
      ...(options.conversion ? { conversion: options.conversion } : {}),
    },
  };
}
