/**
 * The RegistrationRequest validating handler (CREATE, UPDATE).
 *
 * On CREATE, after the mutating webhook has hashed the password and
 * normalised the email, it checks every field again (defence in depth: a
 * missing mutating webhook must not let plain text or an odd email through)
 * and then claims the email (email-claim.ts). Field checks come first, so a
 * request denied for a bad field never leaves a claim behind.
 *
 * A RegistrationRequest is a one-shot request: the operator turns it into a
 * Tenant, a User and an Email and deletes it. Its spec therefore cannot
 * change after CREATE (an UPDATE could otherwise swap in another email past
 * the claim, or a plain password past the mutating webhook, which only runs
 * on CREATE). Metadata may change; status is a subresource this webhook
 * does not see.
 */
import { isDeepStrictEqual } from 'node:util';
import { allow, deny, isRecord, type AdmissionHandler, type AdmissionResponse } from '@cnpaas/service-kit';
import { isDryRunPasswordPlaceholder } from './dry-run-password.js';
import { denyClaimUnavailable, denyEmailTaken, type EmailClaims } from './email-claim.js';
import type { PasswordHasher } from './password-hash.js';
import { checkTenantSpec } from './tenant-validate.js';
import { checkUserSpec } from './user-validate.js';
import { denyInvalid, normaliseEmail, type FieldProblem } from './validation.js';
import { RESOURCES, WEBSHOP_GROUP } from './webshop.js';

/** The mutating webhook's name, so a plain password at this stage names what is missing. */
export const MUTATING_WEBHOOK_NAME = 'mutate-registrationrequests.webshop.cnpaas.dev';

export interface RegistrationSpecRule {
  /** Judges `spec.password` (it is present and a string); returns its problems. */
  checkPassword: (password: string) => FieldProblem[];
  requireNormalisedEmail: boolean;
}

/** Problems of a RegistrationRequest spec: user, password, tenant. */
export function checkRegistrationSpec(spec: unknown, rule: RegistrationSpecRule): FieldProblem[] {
  if (spec === undefined || spec === null)
    return [{ field: 'spec', type: 'FieldValueRequired', message: 'is required' }];
  if (!isRecord(spec)) return [{ field: 'spec', type: 'FieldValueTypeInvalid', message: 'must be an object' }];
  const problems = checkUserSpec(spec['user'], 'spec.user', { requireNormalisedEmail: rule.requireNormalisedEmail });
  const password = spec['password'];
  if (password === undefined || password === null || password === '') {
    problems.push({ field: 'spec.password', type: 'FieldValueRequired', message: 'is required' });
  } else if (typeof password !== 'string') {
    problems.push({ field: 'spec.password', type: 'FieldValueTypeInvalid', message: 'must be a string' });
  } else {
    problems.push(...rule.checkPassword(password));
  }
  problems.push(...checkTenantSpec(spec['tenant'], 'spec.tenant'));
  return problems;
}

/**
 * At validation the password must already be a hash this webhook accepts,
 * or, on a dry run only, the mutating webhook's placeholder (never stored:
 * see dry-run-password.ts).
 */
export function storedPasswordProblems(
  hasher: PasswordHasher,
  review: { dryRun: boolean },
): (password: string) => FieldProblem[] {
  return (password) => {
    if (review.dryRun && isDryRunPasswordPlaceholder(password)) return [];
    const kind = hasher.classify(password);
    if (kind.kind === 'hash') return [];
    if (kind.kind === 'malformed') return [{ field: 'spec.password', type: 'FieldValueInvalid', message: kind.reason }];
    return [
      {
        field: 'spec.password',
        type: 'FieldValueInvalid',
        message: `is not hashed: the mutating webhook ${MUTATING_WEBHOOK_NAME} did not run; check that the MutatingWebhookConfiguration cnpaas-webhooks is registered`,
      },
    ];
  };
}

export interface RegistrationValidatorOptions {
  claims: EmailClaims;
  hasher: PasswordHasher;
}

export function createRegistrationValidator(options: RegistrationValidatorOptions): AdmissionHandler {
  const { claims, hasher } = options;
  return async (request): Promise<AdmissionResponse> => {
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow(request);
    const object = request.object;
    if (!isRecord(object)) {
      return deny(request, {
        code: 400,
        reason: 'BadRequest',
        message: `a ${request.operation} review for a RegistrationRequest must carry request.object`,
      });
    }
    const name = object.metadata?.name ?? request.name;
    const target = { kind: RESOURCES.registrationRequests.kind, name, group: WEBSHOP_GROUP };

    if (request.operation === 'UPDATE') {
      const old = isRecord(request.oldObject) ? request.oldObject : {};
      if (isDeepStrictEqual(object['spec'], old['spec'])) return allow(request);
      return denyInvalid(request, target, [
        {
          field: 'spec',
          type: 'FieldValueForbidden',
          message: 'cannot be changed after creation; delete the RegistrationRequest and create a new one',
        },
      ]);
    }

    const checkPassword = storedPasswordProblems(hasher, { dryRun: request.dryRun === true });
    const problems = checkRegistrationSpec(object['spec'], { checkPassword, requireNormalisedEmail: true });
    if (problems.length > 0) return denyInvalid(request, target, problems);

    const email = normaliseEmail((object['spec'] as { user: { email: string } }).user.email);
    try {
      const outcome = await claims.claim({
        email,
        // Validating admission runs after the apiserver assigned the UID; the review's uid only if it did not.
        owner: {
          uid: object.metadata?.uid ?? request.uid,
          uidKind: 'registration',
          claimedBy: `RegistrationRequest/${name ?? ''}`,
        },
        dryRun: request.dryRun === true,
      });
      if (outcome.outcome === 'taken') return denyEmailTaken(request, { email, field: 'spec.user.email', outcome });
      return allow(request);
    } catch (err) {
      return denyClaimUnavailable(request, err);
    }
  };
}
