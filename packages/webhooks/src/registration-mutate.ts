/**
 * The RegistrationRequest mutating handler (CREATE).
 *
 * 1. `spec.user.email` is normalised (trimmed, the whole address
 *    lower-cased), so uniqueness and the claim see one form.
 * 2. `spec.tenant.companyName` defaults to "First Last" when it is absent
 *    or blank (the original demo's rule).
 * 3. The password is checked against the policy and replaced by a scrypt
 *    hash, before anything is stored.
 *
 * The handler also checks every other field, so a person learns every
 * problem of a request in one answer (the validating webhook would otherwise
 * report the rest only after the password is fixed), and so no scrypt work
 * is spent on a request that will be refused.
 *
 * Idempotent under reinvocation (`reinvocationPolicy: IfNeeded`): a second
 * call sees a normalised email, a company name and a hash it recognises,
 * and answers with an empty patch. Patches never carry the plain password
 * (no `test` op on it): the apiserver may log patches at high verbosity.
 */
import { allow, allowWithPatch, deny, isRecord, type AdmissionHandler, type JsonPatchOp } from './admission-review.js';
import type { PasswordHasher } from './password-hash.js';
import { checkPasswordPolicy } from './password-policy.js';
import { checkRegistrationSpec } from './registration-validate.js';
import { TENANT_LIMITS } from './tenant-validate.js';
import { denyInvalid, normaliseEmail, type FieldProblem } from './validation.js';
import { RESOURCES, WEBSHOP_GROUP } from './webshop.js';

export interface RegistrationMutatorOptions {
  hasher: PasswordHasher;
}

/** "First Last", trimmed, cut to the companyName limit (two 125-character names would exceed 250). */
export function defaultCompanyName(firstName: string, lastName: string): string {
  const full = `${firstName.trim()} ${lastName.trim()}`.trim();
  return [...full].slice(0, TENANT_LIMITS.companyName).join('').trim();
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

export function createRegistrationMutator(options: RegistrationMutatorOptions): AdmissionHandler {
  const { hasher } = options;
  return async (request) => {
    // The webhook is registered for CREATE only; anything else passes untouched (the validator guards UPDATEs).
    if (request.operation !== 'CREATE') return allow(request);
    const object = request.object;
    if (!isRecord(object)) {
      return deny(request, { code: 400, reason: 'BadRequest', message: 'a CREATE review for a RegistrationRequest must carry request.object' });
    }
    const name = object.metadata?.name ?? request.name;
    const target = { kind: RESOURCES.registrationRequests.kind, name, group: WEBSHOP_GROUP };
    const spec = object['spec'];
    // A working copy with the defaults applied, so the checks judge what would be stored.
    const mutated: Record<string, unknown> | undefined = isRecord(spec) ? structuredClone(spec) : undefined;
    const ops: JsonPatchOp[] = [];

    const user = mutated?.['user'];
    if (isRecord(user) && typeof user['email'] === 'string') {
      const email = normaliseEmail(user['email']);
      if (email !== user['email']) {
        user['email'] = email;
        ops.push({ op: 'replace', path: '/spec/user/email', value: email });
      }
    }

    const tenant = mutated?.['tenant'];
    if (isRecord(tenant) && isRecord(user) && isBlank(tenant['companyName'])
      && typeof user['firstName'] === 'string' && typeof user['lastName'] === 'string') {
      const companyName = defaultCompanyName(user['firstName'], user['lastName']);
      if (companyName !== '') {
        tenant['companyName'] = companyName;
        // `add` also replaces an existing blank value (RFC 6902, section 4.1, on an existing member).
        ops.push({ op: 'add', path: '/spec/tenant/companyName', value: companyName });
      }
    }

    let plaintext: string | undefined;
    const problems = checkRegistrationSpec(mutated ?? spec, {
      requireNormalisedEmail: true,
      checkPassword: (password): FieldProblem[] => {
        const kind = hasher.classify(password);
        if (kind.kind === 'hash') return [];
        if (kind.kind === 'malformed') return [{ field: 'spec.password', type: 'FieldValueInvalid', message: kind.reason }];
        plaintext = password;
        return checkPasswordPolicy(password).map((v) => ({ field: 'spec.password', type: 'FieldValueInvalid', message: v.message }));
      },
    });
    if (problems.length > 0) return denyInvalid(request, target, problems);

    if (plaintext !== undefined) {
      ops.push({ op: 'replace', path: '/spec/password', value: await hasher.hash(plaintext) });
    }
    return allowWithPatch(request, ops);
  };
}
