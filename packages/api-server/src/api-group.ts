/**
 * The names this server serves and the one resource it writes (docs/design.md
 * "Fixed names"). Everything else in the package takes them from here, so the
 * discovery documents, the OpenAPI document, the SubjectAccessReview and the
 * manifests cannot drift apart (manifests.test.ts checks the YAML side).
 */

/** The aggregated API group and version: APIService `v1.api.webshop.cnpaas.dev`. */
export const API_GROUP = 'api.webshop.cnpaas.dev';
export const API_VERSION = 'v1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;
export const APISERVICE_NAME = `${API_VERSION}.${API_GROUP}`;

/** The one resource: POST-only, cluster-scoped (a registration creates a tenant, which is cluster-scoped). */
export const REGISTRATIONS = {
  plural: 'registrations',
  singular: 'registration',
  kind: 'Registration',
  verbs: ['create'],
  namespaced: false,
} as const;

/** Base path of the group-version and of the collection that accepts POSTs. */
export const GROUP_VERSION_PATH = `/apis/${API_GROUP_VERSION}`;
export const REGISTRATIONS_PATH = `${GROUP_VERSION_PATH}/${REGISTRATIONS.plural}`;

/** The CRD the server creates (packages/operator/manifests/crds/registrationrequests.yaml). */
export const WEBSHOP_GROUP = 'webshop.cnpaas.dev';
export const WEBSHOP_VERSION = 'v1';
export const REGISTRATION_REQUESTS = {
  group: WEBSHOP_GROUP,
  version: WEBSHOP_VERSION,
  plural: 'registrationrequests',
  kind: 'RegistrationRequest',
} as const;
export const REGISTRATION_REQUESTS_PATH = `/apis/${WEBSHOP_GROUP}/${WEBSHOP_VERSION}/${REGISTRATION_REQUESTS.plural}`;

/** The label the operator puts on every child of a registration (docs/design.md "The registration flow", step 4). */
export const REGISTRATION_UID_LABEL = 'webshop.cnpaas.dev/registration-uid';

/**
 * Set by this server on every RegistrationRequest it creates: who asked.
 * The create itself runs as cnpaas-api-server (see registration-flow.ts), so
 * without it the RR would not say who registered. Callers cannot set it.
 */
export const REQUESTED_BY_ANNOTATION = `${API_GROUP}/requested-by`;

/** The system namespace and the Service the APIService points at (ExternalName localhost, locally). */
export const SYSTEM_NAMESPACE = 'cnpaas-system';
export const SERVICE_NAME = 'cnpaas-api';
/** The name the aggregator verifies in our serving certificate: `<service>.<namespace>.svc`, never the dialled host. */
export const SERVICE_DNS_NAME = `${SERVICE_NAME}.${SYSTEM_NAMESPACE}.svc`;
