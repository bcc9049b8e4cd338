/**
 * The shape of a registration's `spec`: the RegistrationRequest CRD's spec
 * (packages/operator/manifests/crds/registrationrequests.yaml), except that
 * `password` arrives here in plain text (the mutating webhook hashes it
 * inside kube-apiserver before anything is stored).
 *
 * One table serves two readers: registration-body.ts checks bodies against
 * it (types, required fields, lengths, unknown fields), and openapi.ts
 * publishes it, so `kubectl explain registrations` says what we check.
 * Patterns (names, email, phone) and the password policy are the
 * webhooks' job: they give the better messages, and one place decides.
 * registration-schema.test.ts compares this table with the CRD.
 */

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

export const REGISTRATION_SPEC_SCHEMA: ObjectSchema = {
  type: 'object',
  description:
    'Who registers, with which password, for which company. Copied into a RegistrationRequest (webshop.cnpaas.dev/v1).',
  required: ['user', 'password', 'tenant'],
  properties: {
    user: {
      type: 'object',
      description: 'The person registering; becomes the User.',
      required: ['firstName', 'lastName', 'email'],
      properties: {
        firstName: {
          type: 'string',
          description: 'First name. Letters first, then letters, marks, spaces, apostrophes or hyphens.',
          minLength: 1,
          maxLength: 125,
        },
        lastName: { type: 'string', description: 'Last name. Same rules as firstName.', minLength: 1, maxLength: 125 },
        email: {
          type: 'string',
          description: 'Email address; stored trimmed and lower-case, unique across all users.',
          format: 'email',
          minLength: 5,
          maxLength: 256,
        },
        phoneNumber: {
          type: 'string',
          description: 'Optional phone number in E.164 form, for example +4930123456.',
          minLength: 7,
          maxLength: 16,
        },
      },
    },
    password: {
      type: 'string',
      description:
        'The password in plain text, over TLS. The admission webhook checks its policy (8-64 characters, upper, lower, digit, special) and stores only a hash; it is never logged or returned.',
      format: 'password',
      minLength: 1,
      maxLength: 1024,
    },
    tenant: {
      type: 'object',
      description: 'The company registering; becomes the Tenant.',
      required: ['country', 'city', 'address', 'postalCode'],
      properties: {
        companyName: {
          type: 'string',
          description: 'Company name; defaults to "<firstName> <lastName>".',
          minLength: 1,
          maxLength: 250,
        },
        country: {
          type: 'string',
          description: 'Country code, letters only (ISO 3166-1 alpha-2 or alpha-3).',
          minLength: 1,
          maxLength: 3,
        },
        city: { type: 'string', description: "City of the company's address.", minLength: 1, maxLength: 50 },
        address: { type: 'string', description: 'Street address; may span lines.', minLength: 1, maxLength: 512 },
        postalCode: { type: 'string', description: 'Postal code.', minLength: 1, maxLength: 30 },
        taxNumber: { type: 'string', description: 'Optional tax or VAT number.', minLength: 1, maxLength: 256 },
      },
    },
  },
};

/** What the operator writes into the RegistrationRequest's status, and we answer with. */
export const REGISTRATION_STATUS_SCHEMA: ObjectSchema = {
  type: 'object',
  description: 'What the registration made; empty in a dry run.',
  properties: {
    tenant: { type: 'string', description: 'Name of the Tenant (cluster-scoped).' },
    namespace: { type: 'string', description: "Name of the Tenant's Namespace." },
    user: { type: 'string', description: 'Name of the User, in that namespace.' },
    email: { type: 'string', description: 'Name of the welcome Email, in that namespace.' },
  },
};
