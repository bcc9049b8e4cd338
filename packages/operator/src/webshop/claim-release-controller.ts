/**
 * Releases email claims (docs/design.md "The registration flow", step 3).
 *
 * The webhooks lock an address by creating the ConfigMap
 * `cnpaas-system/email-claim-<sha256 prefix>` (packages/webhooks/src/
 * email-claim.ts). A claim must outlive its registration, because the User
 * made from it now holds the address; it is released once *both* are gone:
 * no RegistrationRequest and no User holds the address any more, and the
 * claim is older than the grace period. The grace period covers the window
 * in which a claim exists but its RegistrationRequest is not yet stored
 * (admission runs before the write) and a claim left by a create that
 * failed after admission.
 *
 * "Gone" is checked twice: first in the caches (cheap, and it answers the
 * common case "the User still exists"), then with consistent reads (GET the
 * holder the claim names, LIST Users by registration label), because a
 * stale cache must never release a claim whose holder is alive: that would
 * let a second account take the address.
 *
 * A claim holds only the sha256 of the address, so matching Users and
 * RegistrationRequests to claims hashes their normalised emails; the claim
 * name follows from the email, which is how a User's or RR's deletion wakes
 * exactly its claim.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Clock, Reconciler } from '@cnpaas/kube';
import { deleteIfPresent, getOrUndefined, type WebshopApi } from './kube-api.js';
import type { WebshopMetrics } from './metrics.js';
import { readEmailClaim } from '@cnpaas/webshop-api';
import { REGISTRATION_UID_LABEL, claimNameFor, emailSha256, normaliseEmail } from './names.js';
import type { ConfigMap, RegistrationRequest, User } from './types.js';
import { liveObjectReconciler, type ObjectStep } from './live-object.js';

/** What the webhooks store in a claim's data (email-claim.ts `claimToConfigMap`). */
export interface ClaimRecord {
  name: string;
  emailSha256: string;
  ownerUid: string;
  ownerUidKind: 'registration' | 'user';
  /** "RegistrationRequest/<name>" or "User/<namespace>/<name>". */
  claimedBy: string;
  claimedAtMs: number;
}

export interface ClaimReleaseOptions {
  api: WebshopApi;
  clock: Clock;
  /** Minimum claim age before it may be released. */
  graceMs: number;
  /** The caches, read first. */
  cachedRegistrations(): readonly RegistrationRequest[];
  cachedUsers(): readonly User[];
  metrics?: WebshopMetrics;
}

export const DEFAULT_CLAIM_GRACE_MS = 10 * 60_000;

/** The claim in `cm`, or undefined when it is not one this controller understands (then it is left alone). */
export function readClaim(cm: ConfigMap): ClaimRecord | undefined {
  const claim = readEmailClaim(cm);
  if (!claim) return undefined;
  const { claimedAt: written, ...fields } = claim;
  const claimedAt = Date.parse(written ?? cm.metadata?.creationTimestamp?.toString() ?? '');
  // No readable time: treat it as brand new, so the grace period still applies in full.
  return { ...fields, claimedAtMs: Number.isNaN(claimedAt) ? Number.POSITIVE_INFINITY : claimedAt };
}

// Objects in a cache are replaced, never mutated: their email digest can be remembered per object.
const digests = new WeakMap<object, string>();

function digestOf(obj: object, email: unknown): string | undefined {
  if (typeof email !== 'string') return undefined;
  let digest = digests.get(obj);
  if (digest === undefined) {
    digest = emailSha256(normaliseEmail(email));
    digests.set(obj, digest);
  }
  return digest;
}

export function registrationHolds(rr: RegistrationRequest, claim: ClaimRecord): boolean {
  return rr.metadata?.uid === claim.ownerUid || digestOf(rr, rr.spec?.user?.email) === claim.emailSha256;
}

export function userHolds(user: User, claim: ClaimRecord): boolean {
  return (
    user.metadata?.uid === claim.ownerUid ||
    user.metadata?.labels?.[REGISTRATION_UID_LABEL] === claim.ownerUid ||
    digestOf(user, user.spec?.email) === claim.emailSha256
  );
}

/** The claim of the address on `obj` (a User or a RegistrationRequest), for mapping their events to claim keys. */
export function claimNameOfEmail(email: unknown): string | undefined {
  if (typeof email !== 'string' || email.trim() === '') return undefined;
  return claimNameFor(email);
}

/** Consistent reads: is the holder the claim names, or any User of its registration, still there? */
async function holderExists(api: WebshopApi, claim: ClaimRecord): Promise<boolean> {
  const [kind, ...rest] = claim.claimedBy.split('/');
  if (kind === 'RegistrationRequest' && rest.length === 1) {
    const rr = await getOrUndefined(api.registrationRequests, { name: rest[0]! });
    if (rr && registrationHolds(rr, claim)) return true;
  }
  if (kind === 'User' && rest.length === 2) {
    const user = await getOrUndefined(api.users, { namespace: rest[0]!, name: rest[1]! });
    if (user && userHolds(user, claim)) return true;
  }
  if (claim.ownerUidKind === 'registration') {
    const users = await api.users.list({ labelSelector: `${REGISTRATION_UID_LABEL}=${claim.ownerUid}` });
    if (users.items.length > 0) return true;
  }
  return false;
}

export function claimReleaseReconciler(options: ClaimReleaseOptions): Reconciler<ConfigMap> {
  return liveObjectReconciler(options, { apply: reconcileClaim });
}

const reconcileClaim: ObjectStep<ClaimReleaseOptions, ConfigMap> = async (options, cm, log) => {
  const claim = readClaim(cm);
  if (!claim) {
    log.debug('not an email claim this operator understands; leaving it');
    return;
  }
  const age = options.clock.now() - claim.claimedAtMs;
  if (!(age >= options.graceMs)) {
    const wait = Number.isFinite(age) ? options.graceMs - age : options.graceMs;
    return { requeueAfterMs: Math.max(1_000, wait) };
  }
  // Held: nothing to do until a User or RR with this address changes (their events wake this key).
  if (options.cachedRegistrations().some((rr) => registrationHolds(rr, claim))) return;
  if (options.cachedUsers().some((u) => userHolds(u, claim))) return;
  if (await holderExists(options.api, claim)) return;

  // Preconditions: only this exact claim, unchanged since we judged it.
  await deleteClaim(options.api, cm);
  options.metrics?.claimsReleased.inc();
  // The claim name is a hash: no personal data in the log.
  log.info(
    { claim: claim.name, ownerKind: claim.ownerUidKind },
    'email claim released: its registration and user are gone',
  );
};

/** Already released (by another run, or by hand) counts as done. */
async function deleteClaim(api: WebshopApi, cm: KubernetesObject): Promise<void> {
  await deleteIfPresent(
    api.configMaps,
    { namespace: cm.metadata?.namespace, name: cm.metadata?.name ?? '' },
    {
      preconditions: { uid: cm.metadata?.uid, resourceVersion: cm.metadata?.resourceVersion },
    },
  );
}
