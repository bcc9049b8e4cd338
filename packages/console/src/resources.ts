/**
 * The webshop kinds the console shows, from the contract package (never a
 * name written again), and where the store keeps each object: the key
 * kube-apiserver writes (`/registry/<group>/<plural>/[<namespace>/]<name>`,
 * its default --etcd-prefix), routed by the same Router the store runs.
 */
import type { ResourceRef } from '@cnpaas/kube';
import {
  EMAIL_RESOURCE,
  EMAIL_TEMPLATE_RESOURCE,
  REGISTRATION_REQUEST_RESOURCE,
  TENANT_RESOURCE,
  USER_RESOURCE,
} from '@cnpaas/webshop-api';

export interface ShownResource {
  ref: ResourceRef;
  /** e.g. "Tenants", for the column's group heading. */
  title: string;
}

function ref(r: { group: string; version: string; plural: string; kind: string; namespaced: boolean }): ResourceRef {
  return { group: r.group, version: r.version, plural: r.plural, kind: r.kind, namespaced: r.namespaced };
}

export const SHOWN_RESOURCES: readonly ShownResource[] = [
  { ref: ref(TENANT_RESOURCE), title: 'Tenants' },
  { ref: ref(USER_RESOURCE), title: 'Users' },
  { ref: ref(EMAIL_RESOURCE), title: 'Emails' },
  { ref: ref(REGISTRATION_REQUEST_RESOURCE), title: 'RegistrationRequests' },
  { ref: ref(EMAIL_TEMPLATE_RESOURCE), title: 'EmailTemplates' },
];

export const TENANTS = ref(TENANT_RESOURCE);
export const USERS = ref(USER_RESOURCE);
export const EMAILS = ref(EMAIL_RESOURCE);
/** Namespaces: a signed-in person may read their own (the tenant's), nothing else. */
export const NAMESPACES: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
};

/** kube-apiserver's default --etcd-prefix, which cnpaas up keeps. */
export const ETCD_PREFIX = '/registry';

export function storageKey(resource: ResourceRef, target: { namespace?: string | undefined; name: string }): string {
  const ns = resource.namespaced && target.namespace ? `${target.namespace}/` : '';
  return `${ETCD_PREFIX}/${resource.group}/${resource.plural}/${ns}${target.name}`;
}
