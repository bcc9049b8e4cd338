/**
 * The password policy of a registration: 8 to 64 characters with an
 * upper-case letter, a lower-case letter, a digit and a special character
 * (the original demo's rule, docs/design.md "Origins").
 *
 * Where the original used ASCII classes (`[A-Z]`, `[a-z]`, `\d`), this
 * policy is Unicode-aware: "Ä" is an upper-case letter and "٣" a digit, so a
 * person typing in their own script is not told their capital letter is
 * missing. Lengths count characters (code points), not UTF-16 units, the
 * same way the CRD's `maxLength` counts. The password is NFKC-normalised
 * first (NIST SP 800-63B, section 5.1.1.2), and password-hash.ts hashes the same
 * normalised form, so a later verify of the same keystrokes matches.
 *
 * Each violation says exactly what is missing; nothing here ever echoes the
 * password itself.
 */

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 64;

export type PasswordRule = 'too-short' | 'too-long' | 'upper' | 'lower' | 'digit' | 'special' | 'control';

export interface PasswordViolation {
  rule: PasswordRule;
  /** Reads after "spec.password ", e.g. "must contain a digit". */
  message: string;
}

const UPPER = /[\p{Lu}\p{Lt}]/u;
const LOWER = /\p{Ll}/u;
const DIGIT = /\p{Nd}/u;
/** Anything that is neither a letter, a number, nor a control character: symbols, punctuation, spaces. */
const SPECIAL = /[^\p{L}\p{N}\p{Cc}]/u;
const CONTROL = /\p{Cc}/u;

/** The form that is checked and hashed. */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Every rule the password breaks, in a fixed order; empty when it is acceptable. */
export function checkPasswordPolicy(password: string): PasswordViolation[] {
  const value = normalisePassword(password);
  const length = [...value].length;
  const violations: PasswordViolation[] = [];
  if (length < PASSWORD_MIN_LENGTH) {
    violations.push({
      rule: 'too-short',
      message: `must be at least ${PASSWORD_MIN_LENGTH} characters long (it has ${length})`,
    });
  }
  if (length > PASSWORD_MAX_LENGTH) {
    violations.push({
      rule: 'too-long',
      message: `must be at most ${PASSWORD_MAX_LENGTH} characters long (it has ${length})`,
    });
  }
  if (!UPPER.test(value)) violations.push({ rule: 'upper', message: 'must contain an upper-case letter' });
  if (!LOWER.test(value)) violations.push({ rule: 'lower', message: 'must contain a lower-case letter' });
  if (!DIGIT.test(value)) violations.push({ rule: 'digit', message: 'must contain a digit' });
  if (!SPECIAL.test(value)) {
    violations.push({
      rule: 'special',
      message: 'must contain a special character (a symbol, punctuation mark or space, e.g. ! # ? -)',
    });
  }
  if (CONTROL.test(value)) {
    violations.push({
      rule: 'control',
      message: 'must not contain control characters (line breaks, tabs and the like)',
    });
  }
  return violations;
}

/** One sentence naming every violation: "must contain a digit; must contain an upper-case letter". */
export function describePasswordViolations(violations: readonly PasswordViolation[]): string {
  return violations.map((v) => v.message).join('; ');
}
