/**
 * From request bytes to the RegistrationRequest to create.
 *
 * 1. Decode JSON or YAML. `kubectl create --raw … -f file.yaml` sends the
 *    file's bytes as `application/json`, so a JSON body that does not start
 *    with `{` is read as YAML, as the original demo did (docs/design.md
 *    "Origins"). Parse errors never quote the text: it holds a password.
 * 2. Check apiVersion/kind: a RegistrationRequest (webshop.cnpaas.dev/v1),
 *    as the API is documented, or a Registration (api.webshop.cnpaas.dev/v1),
 *    the kind our discovery names, so `kubectl create -f` works too.
 * 3. Unknown fields anywhere: 400, like kube-apiserver's strict field
 *    validation ("strict decoding error: unknown field …").
 * 4. Types, required fields, lengths: 422 Invalid, one cause per field.
 *
 * The caller may set metadata.name (or generateName), labels and
 * annotations; nothing else in metadata. `status` is dropped, as
 * kube-apiserver drops it on create when a status subresource exists.
 */
import { parseDocument } from 'yaml';
import {
  API_GROUP_VERSION,
  REGISTRATIONS,
  REGISTRATION_REQUESTS,
  REQUESTED_BY_ANNOTATION,
  WEBSHOP_GROUP,
  WEBSHOP_VERSION,
} from './api-group.js';
import { REGISTRATION_SPEC_SCHEMA, type Schema } from './registration-schema.js';
import { httpError, type StatusCause } from './status.js';
import type { ObjectMeta } from '@cnpaas/service-kit';
import type {
  RegistrationRequest as ContractRegistrationRequest,
  RegistrationRequestStatus,
} from '@cnpaas/webshop-api';

/**
 * A RegistrationRequest as this server handles it: the contract's object (its
 * status as the operator writes it) with metadata always present (as JSON,
 * not client-node's parsed form), and the
 * spec as the client sent it. The CRD's schema and the admission webhooks
 * judge the spec; this server passes it on untouched.
 */
export type RegistrationRequest = Omit<ContractRegistrationRequest, 'metadata' | 'spec'> & {
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
};

/** One of a RegistrationRequest's status conditions (metav1.Condition, as the contract declares it). */
export type RegistrationCondition = NonNullable<RegistrationRequestStatus['conditions']>[number];

/** Names given when the body names none: `reg-` plus the apiserver's random suffix. */
export const DEFAULT_GENERATE_NAME = 'reg-';

const RR_API_VERSION = `${WEBSHOP_GROUP}/${WEBSHOP_VERSION}`;
const ACCEPTED_KINDS = [
  { apiVersion: RR_API_VERSION, kind: REGISTRATION_REQUESTS.kind },
  { apiVersion: API_GROUP_VERSION, kind: REGISTRATIONS.kind },
];
const TOP_LEVEL_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const METADATA_FIELDS = new Set(['name', 'generateName', 'labels', 'annotations']);
/** RFC 1123 subdomain, the rule for a cluster-scoped object's name. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type BodyFormat = 'json' | 'yaml';

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']);

/** Which decoder a Content-Type asks for; undefined means 415. A missing type is read like JSON. */
export function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === '' || mediaType === 'application/json') return 'json';
  if (YAML_TYPES.has(mediaType)) return 'yaml';
  return undefined;
}

function badBody(message: string) {
  return httpError('CNPAAS_API_BAD_BODY', {
    code: 400,
    message,
    hint: 'send one RegistrationRequest as JSON or YAML (Content-Type application/json or application/yaml)',
  });
}

/** Bytes to a JSON value. Errors give a position at most, never the text around it. */
export function decodeBody(text: string, format: BodyFormat): unknown {
  if (text.trim() === '') throw badBody('the request body is empty');
  if (format === 'json') {
    const first = text.trimStart()[0];
    if (first === '{' || first === '[') {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw badBody('the request body is not valid JSON');
      }
    }
  }
  // YAML 1.2 is a superset of JSON. One document, unique keys, few aliases (a "billion laughs" body stays small).
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const problem = doc.errors[0];
  if (problem) {
    const at = problem.linePos?.[0];
    const where = at ? ` at line ${at.line}, column ${at.col}` : '';
    const what =
      problem.code === 'MULTIPLE_DOCS' ? 'holds more than one document' : `is not valid YAML (${problem.code}${where})`;
    throw badBody(`the request body ${what}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 16 }) as unknown;
  } catch {
    throw badBody('the request body is not valid YAML (too many aliases)');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fields nothing accepts, with their paths, in document order. */
function unknownFields(value: unknown, schema: Schema, path: string, out: string[]): void {
  if (schema.type !== 'object' || !isRecord(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties[key];
    if (!childSchema) out.push(`${path}.${key}`);
    else unknownFields(child, childSchema, `${path}.${key}`, out);
  }
}

/** Problems against the schema table, one cause per field. */
function schemaCauses(value: unknown, schema: Schema, path: string, out: StatusCause[]): void {
  if (value === undefined || value === null) {
    out.push({ reason: 'FieldValueRequired', field: path, message: 'Required value' });
    return;
  }
  if (schema.type === 'object') {
    if (!isRecord(value)) {
      out.push({
        reason: 'FieldValueTypeInvalid',
        field: path,
        message: `Invalid value: ${typeName(value)}: must be an object`,
      });
      return;
    }
    for (const key of schema.required ?? []) {
      if (value[key] === undefined || value[key] === null)
        out.push({ reason: 'FieldValueRequired', field: `${path}.${key}`, message: 'Required value' });
    }
    for (const [key, child] of Object.entries(value)) {
      const childSchema = schema.properties[key];
      if (childSchema && child !== undefined && child !== null) schemaCauses(child, childSchema, `${path}.${key}`, out);
    }
    return;
  }
  if (typeof value !== 'string') {
    out.push({
      reason: 'FieldValueTypeInvalid',
      field: path,
      message: `Invalid value: ${typeName(value)}: must be a string`,
    });
    return;
  }
  // Code points, as the apiserver counts OpenAPI lengths. Never quote the value: it may be the password.
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) {
    out.push({
      reason: length === 0 ? 'FieldValueRequired' : 'FieldValueInvalid',
      field: path,
      message: length === 0 ? 'Required value' : `must be at least ${schema.minLength} characters`,
    });
  }
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    out.push({
      reason: 'FieldValueTooLong',
      field: path,
      message: `Too long: must have at most ${schema.maxLength} characters`,
    });
  }
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return '"array"';
  return `"${typeof value}"`;
}

function checkStringMap(value: unknown, path: string, out: StatusCause[]): void {
  if (value === undefined) return;
  if (!isRecord(value)) {
    out.push({
      reason: 'FieldValueTypeInvalid',
      field: path,
      message: 'must be a map of string keys to string values',
    });
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string')
      out.push({ reason: 'FieldValueTypeInvalid', field: `${path}[${key}]`, message: 'must be a string' });
  }
}

export interface ToRegistrationRequestOptions {
  /** `POST …/registrations/<name>` (the original demo's form): the name from the URL. */
  nameFromPath?: string | undefined;
}

/** A decoded body to the RegistrationRequest to create, or a 400/422 Status naming the field. */
export function toRegistrationRequest(body: unknown, options: ToRegistrationRequestOptions = {}): RegistrationRequest {
  if (!isRecord(body)) {
    throw badBody(
      `the request body is ${body === null ? 'null' : Array.isArray(body) ? 'a list' : `a ${typeof body}`}, not an object`,
    );
  }

  const apiVersion = body['apiVersion'];
  const kind = body['kind'];
  if (apiVersion !== undefined || kind !== undefined) {
    if (!ACCEPTED_KINDS.some((k) => k.apiVersion === apiVersion && k.kind === kind)) {
      throw httpError('CNPAAS_API_BAD_KIND', {
        code: 400,
        message: `${REGISTRATIONS.plural}.${API_GROUP_VERSION.split('/')[0]} does not accept kind ${JSON.stringify(kind ?? '')} of apiVersion ${JSON.stringify(apiVersion ?? '')}`,
        hint: `send apiVersion ${RR_API_VERSION}, kind ${REGISTRATION_REQUESTS.kind} (or apiVersion ${API_GROUP_VERSION}, kind ${REGISTRATIONS.kind})`,
      });
    }
  }

  const unknown = Object.keys(body).filter((k) => !TOP_LEVEL_FIELDS.has(k));
  const metadata = body['metadata'] ?? {};
  if (isRecord(metadata))
    unknown.push(
      ...Object.keys(metadata)
        .filter((k) => !METADATA_FIELDS.has(k))
        .map((k) => `metadata.${k}`),
    );
  unknownFields(body['spec'], REGISTRATION_SPEC_SCHEMA, 'spec', unknown);
  if (unknown.length > 0) {
    throw httpError('CNPAAS_API_BAD_BODY', {
      code: 400,
      message: `strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`,
      hint: `metadata may carry only ${[...METADATA_FIELDS].join(', ')}; see kubectl explain registrations.${API_GROUP_VERSION.split('/')[0]}`,
    });
  }

  const causes: StatusCause[] = [];
  if (!isRecord(metadata))
    causes.push({ reason: 'FieldValueTypeInvalid', field: 'metadata', message: 'must be an object' });
  const meta = isRecord(metadata) ? metadata : {};
  let name = meta['name'];
  const generateName = meta['generateName'];
  if (options.nameFromPath !== undefined) {
    if (name !== undefined && name !== '' && name !== options.nameFromPath) {
      throw httpError('CNPAAS_API_BAD_BODY', {
        code: 400,
        message: `the name of the object (${typeof name === 'string' ? name : JSON.stringify(name)}) does not match the name on the URL (${options.nameFromPath})`,
      });
    }
    name = options.nameFromPath;
  }
  if (name !== undefined && name !== '') {
    if (typeof name !== 'string')
      causes.push({ reason: 'FieldValueTypeInvalid', field: 'metadata.name', message: 'must be a string' });
    else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (at most 253)`,
      });
    }
  }
  if (generateName !== undefined && typeof generateName !== 'string') {
    causes.push({ reason: 'FieldValueTypeInvalid', field: 'metadata.generateName', message: 'must be a string' });
  }
  checkStringMap(meta['labels'], 'metadata.labels', causes);
  checkStringMap(meta['annotations'], 'metadata.annotations', causes);
  if (isRecord(meta['annotations']) && REQUESTED_BY_ANNOTATION in meta['annotations']) {
    causes.push({
      reason: 'FieldValueForbidden',
      field: `metadata.annotations[${REQUESTED_BY_ANNOTATION}]`,
      message: 'Forbidden: set by the server to the requesting user',
    });
  }
  schemaCauses(body['spec'], REGISTRATION_SPEC_SCHEMA, 'spec', causes);

  const displayName = typeof name === 'string' && name !== '' ? name : undefined;
  if (causes.length > 0) {
    throw httpError('CNPAAS_API_INVALID', {
      code: 422,
      reason: 'Invalid',
      message: `${REGISTRATIONS.kind} ${JSON.stringify(displayName ?? '')} is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
      details: {
        ...(displayName ? { name: displayName } : {}),
        group: API_GROUP_VERSION.split('/')[0]!,
        kind: REGISTRATIONS.plural,
        causes,
      },
    });
  }

  const outMeta: RegistrationRequest['metadata'] = {};
  if (displayName) outMeta.name = displayName;
  else
    outMeta.generateName =
      typeof generateName === 'string' && generateName !== '' ? generateName : DEFAULT_GENERATE_NAME;
  if (isRecord(meta['labels'])) outMeta.labels = { ...(meta['labels'] as Record<string, string>) };
  if (isRecord(meta['annotations'])) outMeta.annotations = { ...(meta['annotations'] as Record<string, string>) };
  return {
    apiVersion: RR_API_VERSION,
    kind: REGISTRATION_REQUESTS.kind,
    metadata: outMeta,
    spec: structuredClone(body['spec'] as Record<string, unknown>),
  };
}
