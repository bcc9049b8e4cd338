/**
 * The RegistrationRequest mutating handler (CREATE).
 *
 * 1. `spec.user.email` is normalised (trimmed, the whole address
 *    lower-cased), so uniqueness and the claim see one form.
 * 2. `spec.tenant.companyName` defaults to "First Last" when it is absent
 *    or blank (the original demo's rule).
 * 3. The password is checked against the policy and replaced by an
 *    argon2id hash, before anything is stored. A registration carries the plain
 *    password, never a hash: a hash-shaped value (`$argon2id$…`, `$scrypt$…`,
 *    any `$id$…` PHC or crypt string) is refused, even a well-formed strong
 *    one, because its password could not be checked against the policy.
 * 4. On a dry run the policy is checked but nothing is hashed: the password
 *    becomes a placeholder that only a dry run accepts (dry-run-password.ts
 *    says why one is needed at all).
 *
 * The handler also checks every other field, so a person learns every
 * problem of a request in one answer (the validating webhook would otherwise
 * report the rest only after the password is fixed), and so no hashing work
 * is spent on a request that will be refused.
 *
 * Idempotent under reinvocation (`reinvocationPolicy: IfNeeded`): a second
 * call sees a normalised email, a company name and a hash (or placeholder)
 * this process issued moments ago (issued-passwords.ts), and answers with an
 * empty patch. Patches never carry the plain password
 * (no `test` op on it): the apiserver may log patches at high verbosity.
 */
import { allow, allowWithPatch, deny, isRecord, type AdmissionHandler, type JsonPatchOp } from '@cnpaas/service-kit';
import { dryRunPasswordPlaceholder, isDryRunPasswordPlaceholder } from './dry-run-password.js';
import { IssuedPasswords } from './issued-passwords.js';
import type { PasswordHasher } from './password-hash.js';
import { checkPasswordPolicy } from './password-policy.js';
import { checkRegistrationSpec } from './registration-validate.js';
import { TENANT_LIMITS } from './tenant-validate.js';
import { denyInvalid, normaliseEmail, type FieldProblem } from './validation.js';
import { RESOURCES, WEBSHOP_GROUP } from './webshop.js';

export interface RegistrationMutatorOptions {
  hasher: PasswordHasher;
  /** What this webhook wrote into spec.password lately, to recognise it on reinvocation; a fresh one by default. */
  issued?: IssuedPasswords;
}

/** Why a hash-shaped password is refused, after the field name; says what to send instead. */
const SEND_PLAIN =
  "a registration carries the plain password, sent over the API's TLS connection; it is checked against the password policy and hashed on the server, so a hash cannot be accepted";

/** Problems of spec.password at the mutating stage; `plain` is the value to hash when there are none and it is plain text. */
function judgePassword(
  password: string,
  context: { hasher: PasswordHasher; issued: IssuedPasswords; dryRun: boolean },
): { problems: FieldProblem[]; plain?: string } {
  // Our own value on reinvocation; a placeholder only ever within a dry run.
  if (context.issued.has(password) && (context.dryRun || !isDryRunPasswordPlaceholder(password)))
    return { problems: [] };
  const kind = context.hasher.classify(password);
  if (kind.kind === 'plaintext') {
    return {
      problems: checkPasswordPolicy(password).map((v) => ({
        field: 'spec.password',
        type: 'FieldValueInvalid',
        message: v.message,
      })),
      plain: password,
    };
  }
  const message = kind.kind === 'malformed' ? `${kind.reason}; ${SEND_PLAIN}` : `is a password hash; ${SEND_PLAIN}`;
  return { problems: [{ field: 'spec.password', type: 'FieldValueInvalid', message }] };
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
  const issued = options.issued ?? new IssuedPasswords();
  return async (request) => {
    // The webhook is registered for CREATE only; anything else passes untouched (the validator guards UPDATEs).
    if (request.operation !== 'CREATE') return allow(request);
    const object = request.object;
    if (!isRecord(object)) {
      return deny(request, {
        code: 400,
        reason: 'BadRequest',
        message: 'a CREATE review for a RegistrationRequest must carry request.object',
      });
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
    if (
      isRecord(tenant) &&
      isRecord(user) &&
      isBlank(tenant['companyName']) &&
      typeof user['firstName'] === 'string' &&
      typeof user['lastName'] === 'string'
    ) {
      const companyName = defaultCompanyName(user['firstName'], user['lastName']);
      if (companyName !== '') {
        tenant['companyName'] = companyName;
        // `add` also replaces an existing blank value (RFC 6902, section 4.1, on an existing member).
        ops.push({ op: 'add', path: '/spec/tenant/companyName', value: companyName });
      }
    }

    const dryRun = request.dryRun === true;
    let plaintext: string | undefined;
    const problems = checkRegistrationSpec(mutated ?? spec, {
      requireNormalisedEmail: true,
      checkPassword: (password): FieldProblem[] => {
        const judged = judgePassword(password, { hasher, issued, dryRun });
        plaintext = judged.plain;
        return judged.problems;
      },
    });
    if (problems.length > 0) return denyInvalid(request, target, problems);

    if (plaintext !== undefined) {
      // A dry run stores nothing, so it gets no hash: the policy was checked, which is all a dry run can tell.
      const value = dryRun ? dryRunPasswordPlaceholder() : await hasher.hash(plaintext);
      issued.remember(value);
      ops.push({ op: 'replace', path: '/spec/password', value });
    }
    return allowWithPatch(request, ops);
  };
}
