import { describe, expect, it } from 'vitest';
import { claimNameFor, registrationNamesFor, userClusterRbacName, UID_PATTERN } from './names.js';

describe('names', () => {
  it('children are t-<12 hex of the UID>, the Email <user>-welcome', () => {
    const uid = '92E52FF7-6F92-4c1e-9a3b-0123456789ab';
    expect(UID_PATTERN.test(uid)).toBe(true);
    expect(registrationNamesFor(uid)).toEqual({
      uid,
      tenant: 't-92e52ff76f92',
      namespace: 't-92e52ff76f92',
      user: 't-92e52ff76f92',
      email: 't-92e52ff76f92-welcome',
    });
  });

  it('a claim name ignores case and surrounding space, and is a valid ConfigMap name', () => {
    const name = claimNameFor(' Ada@Example.com ');
    expect(name).toBe(claimNameFor('ada@example.com'));
    expect(name).toMatch(/^email-claim-[0-9a-f]{32}$/);
  });

  it('a cluster RBAC name too long for 253 characters becomes a hash', () => {
    expect(userClusterRbacName('t-a', 'u')).toBe('webshop-user.t-a.u');
    expect(userClusterRbacName('n'.repeat(63), 'u'.repeat(200))).toMatch(/^webshop-user\.[0-9a-f]{40}$/);
  });
});
