/**
 * The webshop kinds the console shows, from the contract package (never a
 * name written again), and where the store keeps each object: the key
 * kube-apiserver writes (`/registry/<group>/<plural>/[<namespace>/]<name>`,
 * its default --etcd-prefix), routed by the same Router the store runs.
 */
import type { ResourceRef } from '@cnpaas/kube';
import { EMAIL_TEMPLATES, EMAILS, REGISTRATION_REQUESTS, TENANTS, USERS } from '@cnpaas/webshop-api';

/** The kinds the console reads, from the contract; of Namespaces, a signed-in person may read their own (the tenant's) only. */
export { EMAILS, NAMESPACES, TENANTS, USERS } from '@cnpaas/webshop-api';

export interface ShownResource {
  ref: ResourceRef;
  /** e.g. "Tenants", for the column's group heading. */
  title: string;
}

export const SHOWN_RESOURCES: readonly ShownResource[] = [
  { ref: TENANTS, title: 'Tenants' },
  { ref: USERS, title: 'Users' },
  { ref: EMAILS, title: 'Emails' },
  { ref: REGISTRATION_REQUESTS, title: 'RegistrationRequests' },
  { ref: EMAIL_TEMPLATES, title: 'EmailTemplates' },
];

/** kube-apiserver's default --etcd-prefix, which cnpaas up keeps. */
export const ETCD_PREFIX = '/registry';

export function storageKey(resource: ResourceRef, target: { namespace?: string | undefined; name: string }): string {
  const ns = resource.namespaced && target.namespace ? `${target.namespace}/` : '';
  return `${ETCD_PREFIX}/${resource.group}/${resource.plural}/${ns}${target.name}`;
}
