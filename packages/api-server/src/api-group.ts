/**
 * The names this server serves and the one resource it writes (docs/design.md
 * "Fixed names"). They are the contract's (@cnpaas/webshop-api), re-exported
 * here so everything else in the package takes them from one module, and the
 * discovery documents, the OpenAPI document, the SubjectAccessReview and the
 * manifests cannot drift apart (manifests.test.ts checks the YAML side).
 */
import {
  API_GROUP_VERSION,
  LOGINS,
  LOGINS_PATH,
  REGISTRATION_REQUEST_RESOURCE,
  REGISTRATIONS,
  REGISTRATIONS_PATH,
  SYSTEM_NAMESPACE,
  VERIFICATIONS,
  VERIFICATIONS_PATH,
} from '@cnpaas/webshop-api';

/** The aggregated API group and version (APIService `v1.api.webshop.cnpaas.dev`) and its resources. */
export {
  API_GROUP,
  API_VERSION,
  API_GROUP_VERSION,
  APISERVICE_NAME,
  REGISTRATIONS,
  REGISTRATIONS_PATH,
  VERIFICATIONS,
  VERIFICATIONS_PATH,
  LOGINS,
  LOGINS_PATH,
  REQUESTED_BY_ANNOTATION,
  REGISTRATION_UID_LABEL,
  SYSTEM_NAMESPACE,
  WEBSHOP_GROUP,
  WEBSHOP_VERSION,
} from '@cnpaas/webshop-api';

/** Base path of the group-version. */
export const GROUP_VERSION_PATH = `/apis/${API_GROUP_VERSION}`;

/**
 * The resources this server serves, each with the path it is created at: the routes, their
 * authorization attributes and metric labels, and the OpenAPI document read both from here.
 */
export const SERVED = {
  registrations: { ...REGISTRATIONS, path: REGISTRATIONS_PATH },
  verifications: { ...VERIFICATIONS, path: VERIFICATIONS_PATH },
  logins: { ...LOGINS, path: LOGINS_PATH },
} as const;

export type ServedResource = (typeof SERVED)[keyof typeof SERVED];

/** The served resource a request path is under (its collection, or one name in it), with that name ('' for none). */
export function servedAt(path: string): { resource: ServedResource; name: string } | undefined {
  for (const resource of Object.values(SERVED)) {
    if (path === resource.path || path.startsWith(`${resource.path}/`))
      return { resource, name: path.slice(resource.path.length + 1) };
  }
  return undefined;
}

/** The CRD the server creates, from the contract's generated resource constant. */
export const REGISTRATION_REQUESTS = {
  group: REGISTRATION_REQUEST_RESOURCE.group,
  version: REGISTRATION_REQUEST_RESOURCE.version,
  plural: REGISTRATION_REQUEST_RESOURCE.plural,
  kind: REGISTRATION_REQUEST_RESOURCE.kind,
} as const;
export const REGISTRATION_REQUESTS_PATH = `/apis/${REGISTRATION_REQUEST_RESOURCE.apiVersion}/${REGISTRATION_REQUEST_RESOURCE.plural}`;

/** The Service the APIService points at (ExternalName localhost, locally). */
export const SERVICE_NAME = 'cnpaas-api';
/** The name the aggregator verifies in our serving certificate: `<service>.<namespace>.svc`, never the dialled host. */
export const SERVICE_DNS_NAME = `${SERVICE_NAME}.${SYSTEM_NAMESPACE}.svc`;
