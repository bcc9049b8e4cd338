import { CLAIM_NAME_PREFIX } from './names.js';

/** The fields of an email claim ConfigMap, as the validating webhook writes them. */
export interface EmailClaimFields {
  /** `email-claim-<first 32 hex of sha256(normalised email)>`. */
  name: string;
  /** The full digest of the normalised address. */
  emailSha256: string;
  /** The UID of the RegistrationRequest or User that holds the claim. */
  ownerUid: string;
  ownerUidKind: 'registration' | 'user';
  /** "RegistrationRequest/<name>" or "User/<namespace>/<name>", or empty. */
  claimedBy: string;
  /** RFC 3339, as written; undefined when the ConfigMap has none. */
  claimedAt: string | undefined;
}

/**
 * The claim a ConfigMap holds, or undefined when it is not one: its name
 * lacks the claim prefix, or its digest, owner UID or owner kind is missing.
 * What to do with such a ConfigMap is the reader's call.
 */
export function readEmailClaim(cm: {
  metadata?: { name?: string };
  data?: Record<string, string>;
}): EmailClaimFields | undefined {
  const data = cm.data ?? {};
  const name = cm.metadata?.name ?? '';
  const kind = data['ownerUidKind'];
  const emailSha256 = data['emailSha256'];
  const ownerUid = data['ownerUid'];
  if (!name.startsWith(CLAIM_NAME_PREFIX) || !emailSha256 || !ownerUid || (kind !== 'registration' && kind !== 'user'))
    return undefined;
  return {
    name,
    emailSha256,
    ownerUid,
    ownerUidKind: kind,
    claimedBy: data['claimedBy'] ?? '',
    claimedAt: data['claimedAt'],
  };
}
