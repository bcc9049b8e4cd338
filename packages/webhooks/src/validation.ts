/**
 * Field checks shared by the validating handlers, and the one way they deny.
 *
 * Every check returns problems instead of throwing, so a denial lists every
 * problem of a request at once (field path and what is wrong), like the
 * apiserver's own 422 "is invalid" errors, with the same `causes` shape.
 * Messages describe the rule, never echo the value: values may be personal
 * data, and the apiserver puts denial messages into its audit log.
 */
import { isDeepStrictEqual } from 'node:util';
import { normaliseEmail, USER_LIMITS } from '@cnpaas/webshop-api';
import { deny, isRecord, type AdmissionResponse, type StatusCause } from '@cnpaas/service-kit';

export type ProblemType =
  'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueTooLong' | 'FieldValueTypeInvalid' | 'FieldValueForbidden';

export interface FieldProblem {
  /** Dotted path in the object, e.g. `spec.user.email`, as the denial shows it. */
  field: string;
  /**
   * The same path as segments, when a key itself contains dots (annotation
   * and label keys such as `webshop.cnpaas.dev/password`): splitting `field`
   * on dots would address a field that does not exist. Unset means every
   * segment of `field` is a plain key. Use `keyedField` to build both.
   */
  path?: readonly string[];
  type: ProblemType;
  /** Reads after the field path: "must contain a digit". */
  message: string;
}

export interface StringRule {
  field: string;
  required: boolean;
  /** Characters (code points), as the CRD's minLength/maxLength count them. */
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  /** Says what the pattern demands, for the denial message. */
  patternMessage?: string;
  /** Addresses may span lines; other fields must not contain control characters. */
  allowLineBreaks?: boolean;
}

/** Code points, not UTF-16 units: "𝔸" is one character, as the apiserver counts it. */
export function characterCount(value: string): number {
  return [...value].length;
}

const CONTROL = /\p{Cc}/u;
const CONTROL_EXCEPT_LINE_BREAKS = /[^\P{Cc}\r\n]/u;

/** Checks one string field; `value` is whatever the JSON held (possibly undefined or not a string). */
export function checkString(value: unknown, rule: StringRule): FieldProblem[] {
  const { field } = rule;
  if (value === undefined || value === null) {
    return rule.required ? [{ field, type: 'FieldValueRequired', message: 'is required' }] : [];
  }
  if (typeof value !== 'string') return [{ field, type: 'FieldValueTypeInvalid', message: 'must be a string' }];
  const length = characterCount(value);
  const min = rule.minLength ?? 0;
  if (length === 0 && min > 0) {
    return [{ field, type: rule.required ? 'FieldValueRequired' : 'FieldValueInvalid', message: 'must not be empty' }];
  }
  const problems: FieldProblem[] = [];
  if (length < min)
    problems.push({
      field,
      type: 'FieldValueInvalid',
      message: `must be at least ${min} characters long (it has ${length})`,
    });
  if (rule.maxLength !== undefined && length > rule.maxLength) {
    problems.push({
      field,
      type: 'FieldValueTooLong',
      message: `must be at most ${rule.maxLength} characters long (it has ${length})`,
    });
  }
  if (min > 0 && value.trim() === '')
    problems.push({ field, type: 'FieldValueInvalid', message: 'must not be only spaces' });
  if ((rule.allowLineBreaks ? CONTROL_EXCEPT_LINE_BREAKS : CONTROL).test(value)) {
    problems.push({
      field,
      type: 'FieldValueInvalid',
      message: rule.allowLineBreaks
        ? 'must not contain control characters other than line breaks'
        : 'must not contain control characters (line breaks, tabs and the like)',
    });
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    problems.push({
      field,
      type: 'FieldValueInvalid',
      message: rule.patternMessage ?? `must match ${rule.pattern.source}`,
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Person names, emails, phone numbers (the CRD rules of the original demo)

/** The User CRD's pattern for firstName/lastName (Unicode classes, so the `u` flag). */
export const PERSON_NAME_PATTERN = new RegExp(USER_LIMITS['spec.firstName'].pattern, 'u');
export const PERSON_NAME_MAX_LENGTH = USER_LIMITS['spec.firstName'].maxLength;

export function checkPersonName(value: unknown, field: string): FieldProblem[] {
  return checkString(value, {
    field,
    required: true,
    minLength: 1,
    maxLength: PERSON_NAME_MAX_LENGTH,
    pattern: PERSON_NAME_PATTERN,
    patternMessage: 'must start with a letter and contain only letters, accents, spaces, apostrophes and hyphens',
  });
}

/** The User CRD's email pattern and lengths; the checks below add what the pattern lets through. */
export const EMAIL_PATTERN = new RegExp(USER_LIMITS['spec.email'].pattern);
export const EMAIL_MIN_LENGTH = USER_LIMITS['spec.email'].minLength;
export const EMAIL_MAX_LENGTH = USER_LIMITS['spec.email'].maxLength;
const EMAIL_LOCAL_MAX_LENGTH = 64;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * The one normal form of an email address: trimmed, and the whole address
 * lower-cased. Lower-casing the local part too is deliberate (docs/design.md
 * "The registration flow", step 3):
 * uniqueness is case-insensitive, and no mail provider in practice
 * distinguishes "Ann@" from "ann@". The contract's (@cnpaas/webshop-api),
 * because the operator names claims from the same form.
 */
export { normaliseEmail } from '@cnpaas/webshop-api';

export interface EmailRule {
  field: string;
  /** Require the stored form: already trimmed and lower-case. */
  requireNormalised: boolean;
}

export function checkEmail(value: unknown, rule: EmailRule): FieldProblem[] {
  const { field } = rule;
  const basic = checkString(value, { field, required: true, minLength: EMAIL_MIN_LENGTH, maxLength: EMAIL_MAX_LENGTH });
  if (basic.length > 0 || typeof value !== 'string') return basic;
  const problems: FieldProblem[] = [];
  if (rule.requireNormalised && value !== normaliseEmail(value)) {
    problems.push({ field, type: 'FieldValueInvalid', message: 'must be lower-case without surrounding spaces' });
  }
  const email = normaliseEmail(value);
  if (!EMAIL_PATTERN.test(email)) {
    problems.push({
      field,
      type: 'FieldValueInvalid',
      message:
        'must be an email address like name@example.com (letters, digits and . _ % + - before the @, then a domain ending in a dot and at least two letters)',
    });
    return problems;
  }
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > EMAIL_LOCAL_MAX_LENGTH) {
    problems.push({
      field,
      type: 'FieldValueInvalid',
      message: `must have at most ${EMAIL_LOCAL_MAX_LENGTH} characters before the @ (it has ${local.length})`,
    });
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    problems.push({
      field,
      type: 'FieldValueInvalid',
      message: 'must not start or end the part before the @ with a dot, nor have two dots in a row',
    });
  }
  if (!domain.split('.').every((label) => DOMAIN_LABEL.test(label))) {
    problems.push({
      field,
      type: 'FieldValueInvalid',
      message:
        'must have a domain of dot-separated labels of 1 to 63 letters, digits and hyphens, none starting or ending with a hyphen',
    });
  }
  return problems;
}

/** E.164: an optional +, then up to 15 digits, the first not 0 (the User CRD's pattern). */
export const PHONE_PATTERN = new RegExp(USER_LIMITS['spec.phoneNumber'].pattern);
const PHONE_MIN_DIGITS = 7;

export function checkPhoneNumber(value: unknown, field: string): FieldProblem[] {
  const message = `must be a phone number in E.164 form: an optional +, then ${PHONE_MIN_DIGITS} to 15 digits, the first not 0, no spaces`;
  const basic = checkString(value, {
    field,
    required: false,
    minLength: 1,
    maxLength: USER_LIMITS['spec.phoneNumber'].maxLength,
  });
  if (basic.length > 0) return basic.map((p) => ({ ...p, message: `${p.message}; it ${message}` }));
  if (typeof value !== 'string') return [];
  // The original's maxLength 15 counted the "+" and so refused valid 15-digit numbers; count digits instead.
  const digits = value.replace(/^\+/, '').length;
  if (!PHONE_PATTERN.test(value) || digits < PHONE_MIN_DIGITS) return [{ field, type: 'FieldValueInvalid', message }];
  return [];
}

// ---------------------------------------------------------------------------
// Object names that become other objects' names (RFC 1123)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

/** A Namespace name: 1–63 lower-case letters, digits and '-', starting and ending alphanumeric. */
export function checkDns1123Label(value: unknown, field: string, why: string): FieldProblem[] {
  if (typeof value !== 'string' || value === '') return [{ field, type: 'FieldValueRequired', message: 'is required' }];
  if (value.length > DNS1123_LABEL_MAX_LENGTH || !DNS1123_LABEL.test(value)) {
    return [
      {
        field,
        type: 'FieldValueInvalid',
        message: `must be an RFC 1123 label (at most ${DNS1123_LABEL_MAX_LENGTH} lower-case letters, digits and '-', starting and ending with a letter or digit) because ${why}`,
      },
    ];
  }
  return [];
}

/** A DNS subdomain name of at most `maxLength` characters (253 unless a derived name needs room). */
export function checkDns1123Subdomain(
  value: unknown,
  options: { field: string; why: string; maxLength?: number },
): FieldProblem[] {
  const { field, why } = options;
  const max = options.maxLength ?? DNS1123_SUBDOMAIN_MAX_LENGTH;
  if (typeof value !== 'string' || value === '') return [{ field, type: 'FieldValueRequired', message: 'is required' }];
  if (value.length > max || !DNS1123_SUBDOMAIN.test(value)) {
    return [
      {
        field,
        type: 'FieldValueInvalid',
        message: `must be an RFC 1123 subdomain (at most ${max} lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit) because ${why}`,
      },
    ];
  }
  return [];
}

// ---------------------------------------------------------------------------
// Updates, denial

/** `field` and `path` of a map entry whose key may contain dots: `keyedField(['metadata', 'annotations'], 'a.b/c')`. */
export function keyedField(parent: readonly string[], key: string): Pick<FieldProblem, 'field' | 'path'> {
  return { field: [...parent, key].join('.'), path: [...parent, key] };
}

/** The segments a problem addresses: its `path`, or its `field` when no key in it has a dot. */
export function problemPath(problem: FieldProblem): readonly string[] {
  return problem.path ?? problem.field.split('.');
}

/** The value at a path of segments (`['spec', 'user', 'email']`), or undefined. */
export function valueAt(object: unknown, path: readonly string[]): unknown {
  let current: unknown = object;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * Keeps only problems in fields this update changed (the apiserver's
 * "ratcheting"): an object stored before a rule existed can still have its
 * finalizers removed or its status written, instead of being stuck. A
 * problem whose path does not resolve in either object compares equal and is
 * dropped, which is why dotted keys must carry `path` (see FieldProblem).
 */
export function ratchet(
  problems: readonly FieldProblem[],
  update: { object: unknown; oldObject: unknown },
): FieldProblem[] {
  return problems.filter(
    (p) => !isDeepStrictEqual(valueAt(update.object, problemPath(p)), valueAt(update.oldObject, problemPath(p))),
  );
}

export interface InvalidTarget {
  kind: string;
  /** Absent on a CREATE with generateName seen by a mutating webhook. */
  name?: string | undefined;
  group: string;
}

/** "spec.a: must …; spec.b: is required" */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}

/** 422 Invalid listing every problem, in the message and as `details.causes`. */
export function denyInvalid(
  request: { uid: string },
  target: InvalidTarget,
  problems: readonly FieldProblem[],
): AdmissionResponse {
  const subject = target.name ? `${target.kind} "${target.name}"` : target.kind;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const causes: StatusCause[] = problems.map((p) => ({ reason: p.type, message: p.message, field: p.field }));
  const details: { kind: string; group: string; causes: StatusCause[]; name?: string } = {
    kind: target.kind,
    group: target.group,
    causes,
  };
  if (target.name) details.name = target.name;
  return deny(request, {
    code: 422,
    reason: 'Invalid',
    message: `${subject} is invalid (${count}): ${describeProblems(problems)}`,
    details,
  });
}
