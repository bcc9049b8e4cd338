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
import { API_GROUP, API_VERSION, GROUP_VERSION_PATH, REGISTRATIONS, REGISTRATIONS_PATH } from './api-group.js';
import { REGISTRATION_SPEC_SCHEMA, REGISTRATION_STATUS_SCHEMA } from './registration-schema.js';

export const OPENAPI_V3_ROOT = '/openapi/v3';
export const OPENAPI_V3_GROUP_PATH = `${OPENAPI_V3_ROOT}${GROUP_VERSION_PATH}`;

const REGISTRATION_REF = 'dev.cnpaas.webshop.api.v1.Registration';
const OBJECT_META_REF = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const STATUS_REF = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const gvk = { group: API_GROUP, version: API_VERSION, kind: REGISTRATIONS.kind };

function queryParameter(name: string, description: string) {
  return { name, in: 'query', description, schema: { type: 'string', uniqueItems: true } };
}

function statusResponse(description: string) {
  return { description, content: { 'application/json': { schema: ref(STATUS_REF) } } };
}

export function groupVersionDocument() {
  const body = { schema: ref(REGISTRATION_REF) };
  return {
    openapi: '3.0.0',
    info: { title: 'cnpaas api-server', version: API_VERSION },
    paths: {
      [REGISTRATIONS_PATH]: {
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
        [OBJECT_META_REF]: {
          description: 'The subset of ObjectMeta a registration uses.',
          type: 'object',
          properties: {
            name: { type: 'string' },
            generateName: { type: 'string' },
            uid: { type: 'string' },
            creationTimestamp: { type: 'string', format: 'date-time' },
            labels: { type: 'object', additionalProperties: { type: 'string', default: '' } },
            annotations: { type: 'object', additionalProperties: { type: 'string', default: '' } },
          },
        },
        [STATUS_REF]: {
          description: 'Status is the return value for calls that do not return other objects.',
          type: 'object',
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            status: { type: 'string' },
            message: { type: 'string' },
            reason: { type: 'string' },
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
