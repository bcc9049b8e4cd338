import { describe, expect, it } from 'vitest';
import { OperatorError } from '../errors.js';
import { claimNameFor, registrationNames, userClusterRbacName } from './names.js';

describe('names', () => {
  it('derives t-<first 12 hex of the RR UID> for Tenant, Namespace and User, and <user>-welcome', () => {
    const uid = '0123ABCD-4567-89ef-0123-456789abcdef';
    const base = 't-0123abcd4567';
    expect(registrationNames(uid)).toEqual({
      uid,
      tenant: base,
      namespace: base,
      user: base,
      email: `${base}-welcome`,
    });
  });

  it('refuses a missing or non-UUID uid', () => {
    expect(() => registrationNames(undefined)).toThrow(OperatorError);
    expect(() => registrationNames('not-a-uid')).toThrow(/must be a UUID/);
  });

  it('names claims exactly as the webhooks do (vector from packages/webhooks claimNameFor)', () => {
    expect(claimNameFor('ann@example.com')).toBe('email-claim-71d4f55f72fa128dfb468a1a3901507c');
    // The operator normalises too, so any spelling of the address finds the same claim.
    expect(claimNameFor('  Ann@Example.COM ')).toBe('email-claim-71d4f55f72fa128dfb468a1a3901507c');
  });

  it('keeps cluster RBAC names unique per namespace and within 253 characters', () => {
    expect(userClusterRbacName('t-1', 'u')).toBe('webshop-user.t-1.u');
    expect(userClusterRbacName('t-1', 'u')).not.toBe(userClusterRbacName('t-2', 'u'));
    const long = userClusterRbacName('a'.repeat(63), 'b'.repeat(245));
    expect(long.length).toBeLessThanOrEqual(253);
    expect(long).toMatch(/^webshop-user\.[0-9a-f]{40}$/);
  });
});
