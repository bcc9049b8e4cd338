/**
 * The shape of a registration's `spec`: the RegistrationRequest CRD's spec,
 * read from the contract's generated schema (@cnpaas/webshop-api, from
 * manifests/crds/registrationrequests.yaml), except that `password` arrives
 * here in plain text (the mutating webhook hashes it inside kube-apiserver
 * before anything is stored).
 *
 * One table serves two readers: registration-body.ts checks bodies against
 * it (types, required fields, lengths, unknown fields), and openapi.ts
 * publishes it, so `kubectl explain registrations` says what we check.
 * Patterns (names, email, phone) and the password policy are the
 * webhooks' job: they give the better messages, and one place decides, so
 * the table keeps only types, descriptions, required fields, lengths and
 * formats. registration-schema.test.ts compares it with the CRD.
 */
import { REGISTRATION_REQUEST_SCHEMA } from '@cnpaas/webshop-api';

export interface StringSchema {
  type: 'string';
  description: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
}

export interface ObjectSchema {
  type: 'object';
  description: string;
  required?: string[];
  properties: Record<string, Schema>;
}

export type Schema = StringSchema | ObjectSchema;

/** A node of the CRD's schema, as far as this table reads it. */
interface CrdNode {
  type?: string;
  description?: string;
  required?: readonly string[];
  properties?: Readonly<Record<string, CrdNode>>;
  minLength?: number;
  maxLength?: number;
  format?: string;
}

/** The CRD's node as this table's Schema: no patterns, enums or CEL rules (see above). */
function fromCrd(node: CrdNode): Schema {
  const description = node.description ?? '';
  if (node.type === 'object') {
    const properties: Record<string, Schema> = {};
    for (const [key, child] of Object.entries(node.properties ?? {})) properties[key] = fromCrd(child);
    return { type: 'object', description, ...(node.required ? { required: [...node.required] } : {}), properties };
  }
  return {
    type: 'string',
    description,
    ...(node.minLength !== undefined ? { minLength: node.minLength } : {}),
    ...(node.maxLength !== undefined ? { maxLength: node.maxLength } : {}),
    ...(node.format !== undefined ? { format: node.format } : {}),
  };
}

const crdSpec = fromCrd(REGISTRATION_REQUEST_SCHEMA.properties.spec) as ObjectSchema;
const crdStatus = fromCrd(REGISTRATION_REQUEST_SCHEMA.properties.status) as ObjectSchema;

export const REGISTRATION_SPEC_SCHEMA: ObjectSchema = {
  ...crdSpec,
  description:
    'Who registers, with which password, for which company. Copied into a RegistrationRequest (webshop.cnpaas.dev/v1).',
  properties: {
    ...crdSpec.properties,
    // Plain text here; the CRD's rules (hash prefix, minLength of a hash) apply after the webhook hashed it.
    password: {
      type: 'string',
      description:
        'The password in plain text, over TLS. The admission webhook checks its policy (8-64 characters, upper, lower, digit, special) and stores only a hash; it is never logged or returned.',
      format: 'password',
      minLength: 1,
      maxLength: REGISTRATION_REQUEST_SCHEMA.properties.spec.properties.password.maxLength,
    },
  },
};

/** What the operator writes into the RegistrationRequest's status, and we answer with: the four names. */
export const REGISTRATION_STATUS_SCHEMA: ObjectSchema = {
  type: 'object',
  description: 'What the registration made; empty in a dry run.',
  properties: Object.fromEntries(
    (['tenant', 'namespace', 'user', 'email'] as const).map((key) => [key, crdStatus.properties[key]!]),
  ),
};
