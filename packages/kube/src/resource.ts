/**
 * A resource type as the REST API addresses it. The runtime never runs
 * discovery: a controller names what it watches, once, and URL paths follow
 * from that (`/api/v1/...` for the core group, `/apis/<group>/<version>/...`
 * otherwise).
 */
export interface ResourceRef {
  /** API group; '' for the core group (Namespace, Secret, ...). */
  group: string;
  version: string;
  /** Lower-case plural as in the URL, e.g. 'registrationrequests'. */
  plural: string;
  /** The object kind, e.g. 'RegistrationRequest'. */
  kind: string;
  namespaced: boolean;
}

/** 'v1' for the core group, '<group>/<version>' otherwise. */
export function apiVersionOf(resource: Pick<ResourceRef, 'group' | 'version'>): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

/** The group part of an apiVersion: '' for 'v1', 'apps' for 'apps/v1'. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The collection path of `resource`, across all namespaces when `namespace`
 * is undefined; with `name`, the object's path.
 */
export function resourcePath(resource: ResourceRef, target: { namespace?: string; name?: string } = {}): string {
  const root = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  const ns = resource.namespaced && target.namespace ? `/namespaces/${encodeURIComponent(target.namespace)}` : '';
  const name = target.name !== undefined ? `/${encodeURIComponent(target.name)}` : '';
  return `${root}${ns}/${resource.plural}${name}`;
}

/** A stable identity for maps of informers: group/version/plural. */
export function resourceId(resource: ResourceRef): string {
  return `${resource.group}/${resource.version}/${resource.plural}`;
}
