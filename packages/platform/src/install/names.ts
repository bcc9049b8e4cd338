/** The names `cnpaas install` writes into a cluster, in one place (the namespace is the services' own). */

/** The server-side apply field manager of every object install applies. */
export const FIELD_MANAGER = 'cnpaas-install';
/** Set on every object install applies; uninstall deletes only what carries it. */
export const INSTALLED_BY_LABEL = 'cnpaas.dev/installed-by';
export const INSTALLED_BY = 'cnpaas-install';
/** The ConfigMap (in kube-system, so it outlives the services' namespace) listing what install applied. */
export const INVENTORY = { namespace: 'kube-system', name: 'cnpaas-install-inventory' } as const;
/** What deploy/base writes where `cnpaas install` must put the apiserver's addresses. */
export const APISERVER_PLACEHOLDER_CIDR = '192.0.2.1/32';
/** The image prefix in deploy/base; --image-registry replaces it. */
export const IMAGE_PREFIX = 'cnpaas/';
export const OVERLAYS = ['cluster', 'kind'] as const;
export type Overlay = (typeof OVERLAYS)[number];
