/** The names of an API group's version and of a kind or resource in it, as apimachinery's `schema` has them. */
export interface GroupVersion {
  group: string;
  version: string;
}

export interface GroupVersionKind extends GroupVersion {
  kind: string;
}

export interface GroupVersionResource extends GroupVersion {
  resource: string;
}
