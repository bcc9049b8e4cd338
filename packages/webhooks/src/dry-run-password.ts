/**
 * What the mutating webhook writes into `spec.password` on a dry run,
 * instead of a hash.
 *
 * A dry run (`kubectl create --dry-run=server`, the registrations API's
 * `?dryRun=All`) should say whether a registration would be accepted without
 * paying for an argon2id hash (19 MiB and tens of milliseconds of a
 * thread-pool thread) that is thrown away. The password policy is still checked. But the
 * RegistrationRequest CRD's CEL rule only accepts values starting with
 * `$scrypt$` or `$argon2id$` (so a missing webhook can never store plain
 * text), and kube-apiserver applies it to dry runs too; the plain password
 * cannot simply stay. So a dry run gets this placeholder: it passes the
 * prefix rule and is plainly not a usable hash (it does not parse as one, so
 * nothing that verifies or stores hashes accepts it).
 *
 * It never persists: a dry run stores nothing, and on any other request the
 * placeholder is just a malformed hash, denied by the mutating and the
 * validating webhook (the validating one accepts it only when the review is
 * a dry run), and refused by the operator's User controller.
 */
import { randomBytes } from 'node:crypto';

const PREFIX = '$scrypt$dry-run-not-a-hash$';
const PLACEHOLDER = /^\$scrypt\$dry-run-not-a-hash\$[0-9a-f]{32}$/;

/** A fresh placeholder; the random tail lets the mutating webhook tell its own from one a client sent. */
export function dryRunPasswordPlaceholder(): string {
  return `${PREFIX}${randomBytes(16).toString('hex')}`;
}

export function isDryRunPasswordPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value);
}
