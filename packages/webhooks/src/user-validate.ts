/**
 * Validation of User specs: the User kind's own webhook, and `spec.user` of
 * a RegistrationRequest (the operator copies one into the other).
 *
 * The User webhook also keeps emails unique for Users made without a
 * registration (by hand, by a later feature): a User's CREATE takes the same
 * email claim a registration takes. The operator's User for a registration
 * carries the registration's UID as a label, so it finds the claim is its
 * own. Two things are immutable on UPDATE, because uniqueness rests on them:
 * `spec.email` (changing it would need a new claim; a later feature) and the
 * registration-uid label (copying another registration's UID would borrow
 * its claim). A tenant may update its own User, so this matters.
 */
import {
  allow,
  deny,
  isRecord,
  type AdmissionHandler,
  type AdmissionRequest,
  type AdmissionResponse,
} from '@cnpaas/service-kit';
import { denyClaimUnavailable, denyEmailTaken, type ClaimOwner, type EmailClaims } from './email-claim.js';
import type { PasswordHasher } from './password-hash.js';
import {
  checkDns1123Subdomain,
  checkEmail,
  checkPersonName,
  checkPhoneNumber,
  denyInvalid,
  keyedField,
  normaliseEmail,
  ratchet,
  type FieldProblem,
} from './validation.js';
import { PASSWORD_ANNOTATION, welcomeEmailName } from '@cnpaas/webshop-api';
import { REGISTRATION_UID_LABEL, RESOURCES, WEBSHOP_GROUP } from './webshop.js';

/** The annotation that may carry a password hash onto a User (the contract's); it must never hold plain text. */
export const USER_PASSWORD_ANNOTATION = PASSWORD_ANNOTATION;

/** The operator names the welcome Email `<user>-welcome` (the contract's welcomeEmailName); that name must stay within 253 characters. */
const USER_NAME_MAX_LENGTH = 253 - welcomeEmailName('').length;

export interface UserSpecRule {
  /** Require `email` to be stored normalised (true for everything the apiserver stores). */
  requireNormalisedEmail: boolean;
}

/** Problems of a UserSpec found at `path` ('spec' or 'spec.user'). */
export function checkUserSpec(spec: unknown, path: string, rule: UserSpecRule): FieldProblem[] {
  if (spec === undefined || spec === null) return [{ field: path, type: 'FieldValueRequired', message: 'is required' }];
  if (!isRecord(spec)) return [{ field: path, type: 'FieldValueTypeInvalid', message: 'must be an object' }];
  return [
    ...checkPersonName(spec['firstName'], `${path}.firstName`),
    ...checkPersonName(spec['lastName'], `${path}.lastName`),
    ...checkEmail(spec['email'], { field: `${path}.email`, requireNormalised: rule.requireNormalisedEmail }),
    ...checkPhoneNumber(spec['phoneNumber'], `${path}.phoneNumber`),
  ];
}

export interface UserValidatorOptions {
  claims: EmailClaims;
  /** Judges the password annotation: a hash it accepts, never plain text. */
  hasher: PasswordHasher;
}

function checkPasswordAnnotation(
  annotations: Record<string, string> | undefined,
  hasher: PasswordHasher,
): FieldProblem[] {
  const value = annotations?.[USER_PASSWORD_ANNOTATION];
  if (value === undefined) return [];
  // The key has dots: the problem carries its path as segments, or the update's ratchet could not find it.
  const at = keyedField(['metadata', 'annotations'], USER_PASSWORD_ANNOTATION);
  if (typeof value !== 'string') return [{ ...at, type: 'FieldValueTypeInvalid', message: 'must be a string' }];
  const kind = hasher.classify(value);
  if (kind.kind === 'hash') return [];
  const message =
    kind.kind === 'plaintext'
      ? 'must be a password hash ($argon2id$… or $scrypt$…), never a plain password'
      : kind.reason;
  return [{ ...at, type: 'FieldValueInvalid', message }];
}

function badRequest(request: AdmissionRequest): AdmissionResponse {
  return deny(request, {
    code: 400,
    reason: 'BadRequest',
    message: `a ${request.operation} review for a User must carry request.object`,
  });
}

/** The User validating handler (CREATE, UPDATE); it writes a claim, so its webhook is `sideEffects: NoneOnDryRun`. */
export function createUserValidator(options: UserValidatorOptions): AdmissionHandler {
  const { claims, hasher } = options;
  return async (request) => {
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow(request);
    const object = request.object;
    if (!isRecord(object)) return badRequest(request);
    const metadata = object.metadata ?? {};
    const name = metadata.name ?? request.name;
    const namespace = metadata.namespace ?? request.namespace ?? '';
    const target = { kind: RESOURCES.users.kind, name, group: WEBSHOP_GROUP };
    const spec = object['spec'];

    let problems = [
      ...checkUserSpec(spec, 'spec', { requireNormalisedEmail: true }),
      ...checkPasswordAnnotation(metadata.annotations, hasher),
    ];
    if (request.operation === 'CREATE') {
      problems.unshift(
        ...checkDns1123Subdomain(name, {
          field: 'metadata.name',
          why: "the User's ServiceAccount, Role, Secret and welcome Email are named after it",
          maxLength: USER_NAME_MAX_LENGTH,
        }),
      );
    } else {
      const old = isRecord(request.oldObject) ? request.oldObject : {};
      problems = ratchet(problems, { object, oldObject: old });
      const oldSpec = isRecord(old['spec']) ? old['spec'] : {};
      if (isRecord(spec) && spec['email'] !== oldSpec['email']) {
        problems.push({
          field: 'spec.email',
          type: 'FieldValueForbidden',
          message: 'cannot be changed: a User keeps the email address it was created with',
        });
      }
      if (metadata.labels?.[REGISTRATION_UID_LABEL] !== old.metadata?.labels?.[REGISTRATION_UID_LABEL]) {
        problems.push({
          ...keyedField(['metadata', 'labels'], REGISTRATION_UID_LABEL),
          type: 'FieldValueForbidden',
          message: 'cannot be changed: it ties the User to the registration that holds its email claim',
        });
      }
    }
    if (problems.length > 0) return denyInvalid(request, target, problems);
    if (request.operation === 'UPDATE') return allow(request);

    const email = normaliseEmail((spec as { email: string }).email);
    const registrationUid = metadata.labels?.[REGISTRATION_UID_LABEL];
    const owner: ClaimOwner = registrationUid
      ? { uid: registrationUid, uidKind: 'registration', claimedBy: `User/${namespace}/${name}` }
      : // The validating stage sees the UID the apiserver just assigned; the review's uid only if it is absent.
        { uid: metadata.uid ?? request.uid, uidKind: 'user', claimedBy: `User/${namespace}/${name}` };
    try {
      const outcome = await claims.claim({
        email,
        owner,
        dryRun: request.dryRun === true,
        self: { namespace, name: name ?? '' },
        // The operator's User of a registration: the registration took the claim moments ago.
        likelyHeld: registrationUid !== undefined,
      });
      if (outcome.outcome === 'taken') return denyEmailTaken(request, { email, field: 'spec.email', outcome });
      return allow(request);
    } catch (err) {
      return denyClaimUnavailable(request, err);
    }
  };
}
