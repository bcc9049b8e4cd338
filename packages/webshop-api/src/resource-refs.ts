import { EMAIL_RESOURCE } from './generated/emails.js';
import { EMAIL_TEMPLATE_RESOURCE } from './generated/emailtemplates.js';
import { REGISTRATION_REQUEST_RESOURCE } from './generated/registrationrequests.js';
import { TENANT_RESOURCE } from './generated/tenants.js';
import { USER_RESOURCE } from './generated/users.js';

/** How a client addresses a kind at runtime (the shape of @cnpaas/kube's ResourceRef), without discovery. */
export interface KindRef {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** A generated resource constant narrowed to how it is addressed. */
function kindRef(r: KindRef): KindRef {
  return { group: r.group, version: r.version, plural: r.plural, kind: r.kind, namespaced: r.namespaced };
}

export const REGISTRATION_REQUESTS = kindRef(REGISTRATION_REQUEST_RESOURCE);
export const TENANTS = kindRef(TENANT_RESOURCE);
export const USERS = kindRef(USER_RESOURCE);
export const EMAILS = kindRef(EMAIL_RESOURCE);
export const EMAIL_TEMPLATES = kindRef(EMAIL_TEMPLATE_RESOURCE);
/** The Namespace each Tenant has, of the same name. */
export const NAMESPACES: KindRef = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
};
