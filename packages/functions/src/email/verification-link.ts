/**
 * Fills in `{{ .verificationUrl }}` in an Email's body when it is sent: a
 * link to the console's verify page carrying a token signed with the
 * verification key (HMAC-SHA256, @cnpaas/service-kit's signed token) over
 * the User's namespace, name and UID and an expiry (24 h by default).
 *
 * Why here and not in the operator: the token then exists only in the mail
 * that leaves over SMTP. The operator renders the template into the Email
 * object, which the store keeps; a token there would be readable by anyone
 * who may read Emails. The User is the Email's controlling owner (the
 * operator makes it so), so the function needs no read of Users either:
 * one GET of one Secret by name is all the RBAC this adds.
 *
 * The token goes into the URL's fragment (`#token=…`): browsers never send
 * a fragment to a server, so it stays out of the console's access logs and
 * out of Referer headers; the verify page's script reads it and POSTs it.
 * A re-send (the at-least-once window) mints a fresh token for the same
 * User; either link verifies once.
 */
import { signToken } from '@cnpaas/service-kit';
import {
  USER_RESOURCE,
  VERIFICATION_TOKEN_PURPOSE,
  VERIFICATION_URL_PLACEHOLDER,
  type VerificationClaims,
} from '@cnpaas/webshop-api';
import { isHtmlEmail } from './message.js';
import type { EmailObject } from '../email-resource.js';
import { FunctionsError } from '../errors.js';

export const DEFAULT_VERIFY_URL = 'http://127.0.0.1:8090/verify';
export const DEFAULT_LINK_TTL_MS = 24 * 60 * 60 * 1000;

export interface VerificationLinksOptions {
  /** The verification key (32+ bytes); throws when it cannot be read (the delivery is retried). */
  key: () => Promise<Buffer>;
  /** The console's verify page, e.g. http://127.0.0.1:8090/verify. */
  baseUrl: string;
  ttlMs?: number;
  now?: () => number;
}

export type Personalised = { ok: true; email: EmailObject } | { ok: false; permanent: boolean; message: string };

/** Checks --verify-url: an absolute http(s) URL without a fragment (the token goes there). */
export function checkVerifyUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.hash !== '') {
    throw new FunctionsError(
      'CNPAAS_FUNCTIONS_VERIFICATION_LINK',
      `--verify-url ${JSON.stringify(value)} is not an http(s) URL without a #fragment`,
      { hint: `pass the console's verify page, e.g. ${DEFAULT_VERIFY_URL}` },
    );
  }
  return url.toString();
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export class VerificationLinks {
  readonly #options: VerificationLinksOptions;

  constructor(options: VerificationLinksOptions) {
    this.#options = options;
  }

  /** The Email to send: unchanged without the placeholder; with it, the placeholder replaced by a fresh link. */
  async personalise(email: EmailObject): Promise<Personalised> {
    const body = email.spec.body ?? '';
    if (!body.includes(VERIFICATION_URL_PLACEHOLDER)) return { ok: true, email };
    const owner = email.metadata.ownerReferences?.find(
      (o) => o.controller === true && o.kind === USER_RESOURCE.kind && o.apiVersion === USER_RESOURCE.apiVersion,
    );
    if (!owner) {
      return {
        ok: false,
        permanent: true,
        message: `the body asks for ${VERIFICATION_URL_PLACEHOLDER} but no User controls this Email`,
      };
    }
    let key: Buffer;
    try {
      key = await this.#options.key();
    } catch (err) {
      return { ok: false, permanent: false, message: err instanceof Error ? err.message : String(err) };
    }
    const claims: VerificationClaims = { namespace: email.metadata.namespace, name: owner.name, uid: owner.uid };
    const now = (this.#options.now ?? Date.now)();
    const token = signToken({
      key,
      purpose: VERIFICATION_TOKEN_PURPOSE,
      claims: { ...claims },
      expiresAt: now + (this.#options.ttlMs ?? DEFAULT_LINK_TTL_MS),
    });
    const link = `${this.#options.baseUrl}#token=${token}`;
    // The operator escaped every value of an HTML body; the link is a value too.
    const value = isHtmlEmail(email) ? link.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!) : link;
    return {
      ok: true,
      email: { ...email, spec: { ...email.spec, body: body.replaceAll(VERIFICATION_URL_PLACEHOLDER, value) } },
    };
  }
}
