/**
 * Validation of Tenant specs: the Tenant kind's own webhook, and
 * `spec.tenant` of a RegistrationRequest (the operator copies one into the
 * other, so both must obey the same rules). Lengths and the country pattern
 * are the CRD's (the original demo's, docs/design.md "Origins"), read from
 * @cnpaas/webshop-api's generated limits; the checks add what a length cannot
 * say (no field is only spaces, no control characters).
 */
import { TENANT_LIMITS as CRD_LIMITS } from '@cnpaas/webshop-api';
import { allow, deny, isRecord, type AdmissionHandler, type AdmissionRequest } from '@cnpaas/service-kit';
import {
  checkDns1123Label,
  checkString,
  denyInvalid,
  ratchet,
  type FieldProblem,
  type StringRule,
} from './validation.js';
import { RESOURCES, WEBSHOP_GROUP } from './webshop.js';

/** The Tenant CRD's maxLengths (@cnpaas/webshop-api, generated from the CRD), by field. */
export const TENANT_LIMITS = {
  companyName: CRD_LIMITS['spec.companyName'].maxLength,
  country: CRD_LIMITS['spec.country'].maxLength,
  city: CRD_LIMITS['spec.city'].maxLength,
  address: CRD_LIMITS['spec.address'].maxLength,
  postalCode: CRD_LIMITS['spec.postalCode'].maxLength,
  taxNumber: CRD_LIMITS['spec.taxNumber'].maxLength,
} as const;

/**
 * Each TenantSpec field's rule beyond its name and CRD maxLength (every
 * field that is there holds at least one character), in the order they are
 * reported.
 */
const TENANT_FIELDS: ReadonlyArray<
  [keyof typeof TENANT_LIMITS, Omit<StringRule, 'field' | 'minLength' | 'maxLength'>]
> = [
  ['companyName', { required: false }],
  [
    'country',
    {
      required: true,
      pattern: new RegExp(CRD_LIMITS['spec.country'].pattern),
      patternMessage: 'must be a country code of letters only (ISO 3166-1, e.g. DE or DEU)',
    },
  ],
  ['city', { required: true }],
  ['address', { required: true, allowLineBreaks: true }],
  ['postalCode', { required: true }],
  ['taxNumber', { required: false }],
];

/** Problems of a TenantSpec found at `path` ('spec' or 'spec.tenant'). */
export function checkTenantSpec(spec: unknown, path: string): FieldProblem[] {
  if (spec === undefined || spec === null) return [{ field: path, type: 'FieldValueRequired', message: 'is required' }];
  if (!isRecord(spec)) return [{ field: path, type: 'FieldValueTypeInvalid', message: 'must be an object' }];
  return TENANT_FIELDS.flatMap(([name, rule]) =>
    checkString(spec[name], { field: `${path}.${name}`, minLength: 1, maxLength: TENANT_LIMITS[name], ...rule }),
  );
}

function badRequest(request: AdmissionRequest): ReturnType<typeof deny> {
  return deny(request, {
    code: 400,
    reason: 'BadRequest',
    message: `a ${request.operation} review for a Tenant must carry request.object`,
  });
}

/**
 * The Tenant validating handler (CREATE, UPDATE). A Tenant's name becomes
 * its Namespace's name, so it must be an RFC 1123 label; an UPDATE is only
 * held to the rules for the fields it changes.
 */
export function createTenantValidator(): AdmissionHandler {
  return async (request) => {
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow(request);
    const object = request.object;
    if (!isRecord(object)) return badRequest(request);
    const name = object.metadata?.name ?? request.name;
    let problems = checkTenantSpec(object['spec'], 'spec');
    if (request.operation === 'CREATE') {
      problems.unshift(...checkDns1123Label(name, 'metadata.name', "the Tenant's Namespace gets the same name"));
    } else {
      problems = ratchet(problems, { object, oldObject: request.oldObject });
    }
    if (problems.length > 0)
      return denyInvalid(request, { kind: RESOURCES.tenants.kind, name, group: WEBSHOP_GROUP }, problems);
    return allow(request);
  };
}
