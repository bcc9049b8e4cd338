/**
 * OpenAPI v3 for the group-version, which an extension API server must publish.
 * kube-apiserver's aggregator downloads `/openapi/v3` as system:aggregator
 * and proxies the per-group-version document; `kubectl explain
 * registrations` and server-side field validation read it. Without it
 * (404 is allowed) the types would be opaque.
 *
 * `/openapi/v3` lists the document under `apis/<group>/<version>` with a
 * `?hash=` of its content, as kube-openapi's handler3 does; clients cache by
 * that URL, so the hash must change whenever the document does.
 */
import { createHash } from 'node:crypto';
import { API_GROUP, API_VERSION, GROUP_VERSION_PATH, SERVED } from './api-group.js';
import { REGISTRATION_SPEC_SCHEMA, REGISTRATION_STATUS_SCHEMA } from './registration-schema.js';

export const OPENAPI_V3_ROOT = '/openapi/v3';
export const OPENAPI_V3_GROUP_PATH = `${OPENAPI_V3_ROOT}${GROUP_VERSION_PATH}`;

const REGISTRATION_REF = 'dev.cnpaas.webshop.api.v1.Registration';
const VERIFICATION_REF = 'dev.cnpaas.webshop.api.v1.Verification';
const LOGIN_REF = 'dev.cnpaas.webshop.api.v1.Login';
const OBJECT_META_REF = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const STATUS_REF = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** The field schemas the documents use again and again. */
const STRING = { type: 'string' };
const DATE_TIME = { type: 'string', format: 'date-time' };
const STRING_MAP = { type: 'object', additionalProperties: { type: 'string', default: '' } };
const gvk = { group: API_GROUP, version: API_VERSION, kind: SERVED.registrations.kind };

function queryParameter(name: string, description: string) {
  return { name, in: 'query', description, schema: { type: 'string', uniqueItems: true } };
}

function statusResponse(description: string) {
  return { description, content: { 'application/json': { schema: ref(STATUS_REF) } } };
}

/** POST-only operations of verifications and logins: body, answer and the refusals each has. */
function createOperation(options: {
  kind: string;
  refName: string;
  description: string;
  responses: Record<string, string>;
}) {
  const body = { schema: ref(options.refName) };
  return {
    post: {
      tags: ['apiWebshopCnpaasDev_v1'],
      description: options.description,
      operationId: `createApiWebshopCnpaasDevV1${options.kind}`,
      requestBody: { required: true, content: { 'application/json': body, 'application/yaml': body } },
      responses: {
        '201': { description: 'Created', content: { 'application/json': body } },
        ...Object.fromEntries(Object.entries(options.responses).map(([code, text]) => [code, statusResponse(text)])),
      },
      'x-kubernetes-action': 'post',
      'x-kubernetes-group-version-kind': { group: API_GROUP, version: API_VERSION, kind: options.kind },
    },
  };
}

function objectSchema(options: { kind: string; description: string; spec: object; status: object }) {
  return {
    description: options.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { description: 'api.webshop.cnpaas.dev/v1', type: 'string' },
      kind: { description: options.kind, type: 'string' },
      metadata: { description: 'Ignored.', allOf: [ref(OBJECT_META_REF)] },
      spec: options.spec,
      status: options.status,
    },
    'x-kubernetes-group-version-kind': [{ group: API_GROUP, version: API_VERSION, kind: options.kind }],
  };
}

const USER_REF_SCHEMA = {
  description: 'The User: namespace and name.',
  type: 'object',
  properties: { namespace: STRING, name: STRING },
};

export function groupVersionDocument() {
  const body = { schema: ref(REGISTRATION_REF) };
  return {
    openapi: '3.0.0',
    info: { title: 'cnpaas api-server', version: API_VERSION },
    paths: {
      [SERVED.registrations.path]: {
        post: {
          tags: ['apiWebshopCnpaasDev_v1'],
          description:
            'register a person and their company: creates a RegistrationRequest (webshop.cnpaas.dev/v1) and answers once the operator has made the Tenant, Namespace, User and welcome Email',
          operationId: 'createApiWebshopCnpaasDevV1Registration',
          parameters: [
            queryParameter(
              'dryRun',
              'All: validate through the admission webhooks without creating anything; answers with the would-be Registration',
            ),
            queryParameter('fieldManager', 'accepted and ignored: registrations are never updated'),
            queryParameter('fieldValidation', 'accepted; unknown fields are always refused (Strict)'),
          ],
          requestBody: {
            required: true,
            content: { 'application/json': body, 'application/yaml': body },
          },
          responses: {
            '201': {
              description: 'Created: the Registration with the names the operator chose in status',
              content: { 'application/json': body },
            },
            '400': statusResponse('BadRequest: the body does not parse or has unknown fields'),
            '401': statusResponse('Unauthorized: not proxied by kube-apiserver'),
            '403': statusResponse(
              'Forbidden: the SubjectAccessReview denied create on registrations, or a webhook denied the request',
            ),
            '409': statusResponse('Conflict or AlreadyExists: the email or the name is taken'),
            '422': statusResponse(
              'Invalid: a field is missing, of the wrong type or too long, or a webhook refused its value',
            ),
            '504': statusResponse('Timeout: the operator did not finish in time; the RegistrationRequest stays'),
          },
          'x-kubernetes-action': 'post',
          'x-kubernetes-group-version-kind': gvk,
        },
      },
      [SERVED.verifications.path]: createOperation({
        kind: SERVED.verifications.kind,
        refName: VERIFICATION_REF,
        description:
          "accept the verification link of a welcome mail: records the User's status.verifiedAt once; the operator then sets phase Verified",
        responses: {
          '400': 'BadRequest: the link is not valid (changed, cut short, or signed with another key)',
          '403': 'Forbidden: the SubjectAccessReview denied create on verifications',
          '404': 'NotFound: the account the link is for no longer exists',
          '409': 'Conflict: the link was already used',
          '410': 'Expired: the link has expired',
          '503': 'ServiceUnavailable: the verification key cannot be read',
        },
      }),
      [SERVED.logins.path]: createOperation({
        kind: SERVED.logins.kind,
        refName: LOGIN_REF,
        description:
          "sign in with an address and a password: answers with a 600 s token of the User's own ServiceAccount",
        responses: {
          '401': 'Unauthorized: the address or the password is not right (one answer for both)',
          '403': 'Forbidden: the address is not verified yet, or the SubjectAccessReview denied create on logins',
          '429': 'TooManyRequests: too many attempts from this caller or for this address',
        },
      }),
    },
    components: {
      schemas: {
        [REGISTRATION_REF]: {
          description:
            'A registration of a person and their company. POST-only: the answer carries what was made in status.',
          type: 'object',
          required: ['spec'],
          properties: {
            apiVersion: {
              description:
                'api.webshop.cnpaas.dev/v1 (webshop.cnpaas.dev/v1 with kind RegistrationRequest is accepted too).',
              type: 'string',
            },
            kind: { description: 'Registration (or RegistrationRequest).', type: 'string' },
            metadata: {
              description: 'name (or generateName; default generateName reg-), labels and annotations.',
              allOf: [ref(OBJECT_META_REF)],
            },
            spec: REGISTRATION_SPEC_SCHEMA,
            status: REGISTRATION_STATUS_SCHEMA,
          },
          'x-kubernetes-group-version-kind': [gvk],
        },
        [VERIFICATION_REF]: objectSchema({
          kind: SERVED.verifications.kind,
          description: 'The use of a verification link. POST-only.',
          spec: {
            type: 'object',
            required: ['token'],
            properties: { token: { description: 'The token from the link (after #token=).', type: 'string' } },
          },
          status: {
            type: 'object',
            properties: {
              user: USER_REF_SCHEMA,
              verifiedAt: { description: 'When it was recorded.', type: 'string', format: 'date-time' },
            },
          },
        }),
        [LOGIN_REF]: objectSchema({
          kind: SERVED.logins.kind,
          description: 'A sign-in. POST-only; nothing is stored.',
          spec: {
            type: 'object',
            required: ['email', 'password'],
            properties: {
              email: { description: 'The address registered (any case).', type: 'string' },
              password: { description: 'The password.', type: 'string', format: 'password' },
            },
          },
          status: {
            type: 'object',
            properties: {
              token: { description: "A token of the User's own ServiceAccount.", type: 'string' },
              expirationTimestamp: DATE_TIME,
              user: USER_REF_SCHEMA,
              tenant: { description: 'The Tenant, whose Namespace has the same name.', type: 'string' },
            },
          },
        }),
        [OBJECT_META_REF]: {
          description: 'The subset of ObjectMeta a registration uses.',
          type: 'object',
          properties: {
            name: STRING,
            generateName: STRING,
            uid: STRING,
            creationTimestamp: DATE_TIME,
            labels: STRING_MAP,
            annotations: STRING_MAP,
          },
        },
        [STATUS_REF]: {
          description: 'Status is the return value for calls that do not return other objects.',
          type: 'object',
          properties: {
            apiVersion: STRING,
            kind: STRING,
            status: STRING,
            message: STRING,
            reason: STRING,
            code: { type: 'integer', format: 'int32' },
            details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
          'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Status' }],
        },
      },
    },
  };
}

export interface OpenApiV3 {
  /** The per-group-version document, serialised once. */
  document: string;
  /** Upper-case hex SHA-512 of it, like kube-openapi's ETag. */
  hash: string;
  discovery: { paths: Record<string, { serverRelativeURL: string }> };
}

export function openApiV3(): OpenApiV3 {
  const document = JSON.stringify(groupVersionDocument());
  const hash = createHash('sha512').update(document).digest('hex').toUpperCase();
  return {
    document,
    hash,
    discovery: {
      paths: { [GROUP_VERSION_PATH.slice(1)]: { serverRelativeURL: `${OPENAPI_V3_GROUP_PATH}?hash=${hash}` } },
    },
  };
}
