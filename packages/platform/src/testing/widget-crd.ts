/** What a test chooses about its Widget kind. */
export interface WidgetCrdOptions {
  /** The API group; example.dev by default. */
  group?: string;
  /** The openAPIV3Schema; by default any object (x-kubernetes-preserve-unknown-fields). */
  schema?: object;
  /** Whether the status subresource is served; true by default. */
  status?: boolean;
  selectableFields?: Array<{ jsonPath: string }>;
}

/**
 * A CustomResourceDefinition of a namespaced kind Widget (widgets.<group>,
 * version v1, served and stored), for the live tests that need a custom
 * kind in a real kube-apiserver.
 */
export function widgetCrd(options: WidgetCrdOptions = {}) {
  const group = options.group ?? 'example.dev';
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          ...(options.status === false ? {} : { subresources: { status: {} } }),
          ...(options.selectableFields ? { selectableFields: options.selectableFields } : {}),
          schema: {
            openAPIV3Schema: options.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      ],
    },
  };
}
