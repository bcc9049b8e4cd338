import { REGISTRATION_REQUEST_RESOURCE } from '@cnpaas/webshop-api';
import { describe, expect, it } from 'vitest';
import { resourceKey, type FabricObject } from './fabric.js';
import { RegistrationHistory } from './registration-history.js';

const RR = resourceKey(REGISTRATION_REQUEST_RESOURCE);
const rr = (uid: string): FabricObject => ({
  resource: RR,
  kind: 'RegistrationRequest',
  name: uid,
  uid,
  backend: 'main',
  key: `/registry/webshop.cnpaas.dev/registrationrequests/${uid}`,
  object: { metadata: { name: uid, uid } },
});

describe('RegistrationHistory', () => {
  it('keeps the last state of each RegistrationRequest and stamps its deletion with the clock', () => {
    const history = new RegistrationHistory({ clock: { now: () => Date.UTC(2026, 11, 5, 10) } as never });
    history.observe({ type: 'upsert', object: rr('a') });
    history.observe({ type: 'delete', resource: RR, uid: 'a' });
    expect(history.get('a')).toMatchObject({
      object: { metadata: { uid: 'a' } },
      deletedAt: '2026-12-05T10:00:00.000Z',
    });
    // Another kind's delete with the same uid is not this one's.
    history.observe({ type: 'delete', resource: 'webshop.cnpaas.dev/tenants', uid: 'b' });
    expect(history.get('b')).toBeUndefined();
  });

  it('forgets the oldest first once it holds its limit', () => {
    const history = new RegistrationHistory({ limit: 2 });
    for (const uid of ['a', 'b', 'c']) history.observe({ type: 'upsert', object: rr(uid) });
    expect(history.size).toBe(2);
    expect(history.get('a')).toBeUndefined();
    expect(history.get('c')).toBeDefined();
  });

  it('takes the RegistrationRequests of a relist', () => {
    const history = new RegistrationHistory();
    history.observe({ type: 'reset', resource: RR, objects: [rr('x'), rr('y')] });
    expect([history.get('x'), history.get('y')].every(Boolean)).toBe(true);
  });
});
