import { describe, expect, it } from 'vitest';
import { PASSWORD_ANNOTATION, USER_FINALIZER } from './names.js';
import { changedBeyondOwnWrites } from './own-writes.js';
import type { User } from './types.js';

const wakesUser = changedBeyondOwnWrites({
  finalizer: USER_FINALIZER,
  consumedAnnotation: PASSWORD_ANNOTATION,
  statusKept: ['verifiedAt'],
});

/** A User as the informer holds it after the registration made it, before the operator's first reconcile. */
const fresh: User = {
  apiVersion: 'webshop.cnpaas.dev/v1',
  kind: 'User',
  metadata: {
    name: 'u',
    namespace: 't-1',
    uid: 'uid-u',
    resourceVersion: '10',
    generation: 1,
    labels: { a: 'b' },
    annotations: { [PASSWORD_ANNOTATION]: 'hash', other: 'x' },
    managedFields: [{ manager: 'cnpaas-operator' }],
  },
  spec: { firstName: 'A', lastName: 'B', email: 'a@b.cd' },
};

/** `user` after a write: a new resourceVersion and managedFields, and `change` applied. */
function written(user: User, change: (u: User) => void): User {
  const next = structuredClone(user);
  next.metadata!.resourceVersion = String(Number(user.metadata?.resourceVersion) + 1);
  next.metadata!.managedFields = [
    { manager: 'cnpaas-operator', time: new Date(Number(next.metadata!.resourceVersion)) },
  ];
  change(next);
  return next;
}

describe('changedBeyondOwnWrites', () => {
  it("does not wake the controller for the operator's own writes: finalizer added, annotation consumed, status", () => {
    const withFinalizer = written(fresh, (u) => (u.metadata!.finalizers = [USER_FINALIZER]));
    expect(wakesUser(fresh, withFinalizer)).toBe(false);
    const consumed = written(withFinalizer, (u) => delete u.metadata!.annotations![PASSWORD_ANNOTATION]);
    expect(wakesUser(withFinalizer, consumed)).toBe(false);
    const ready = written(
      consumed,
      (u) => (u.status = { phase: 'Pending', conditions: [], passwordRef: { name: 'x' } }),
    );
    expect(wakesUser(consumed, ready)).toBe(false);
    // The last annotation consumed: the apiserver may drop the map altogether.
    const only = written(fresh, (u) => (u.metadata!.annotations = { [PASSWORD_ANNOTATION]: 'hash' }));
    expect(
      wakesUser(
        only,
        written(only, (u) => delete u.metadata!.annotations),
      ),
    ).toBe(false);
  });

  it('wakes it for everything else', () => {
    const cases: Array<[string, (u: User) => void]> = [
      ['spec', (u) => (u.spec!.firstName = 'Z')],
      ['a label', (u) => (u.metadata!.labels = { a: 'c' })],
      ['another annotation', (u) => (u.metadata!.annotations!['other'] = 'y')],
      ['a new password hash', (u) => (u.metadata!.annotations![PASSWORD_ANNOTATION] = 'newer')],
      ['verifiedAt, recorded by cnpaas-api-server', (u) => (u.status = { verifiedAt: '2030-01-01T00:00:00Z' })],
      ['deletion', (u) => (u.metadata!.deletionTimestamp = new Date(0))],
      ['another finalizer', (u) => (u.metadata!.finalizers = ['someone.else/f'])],
    ];
    for (const [what, change] of cases) expect([what, wakesUser(fresh, written(fresh, change))]).toEqual([what, true]);
    // Our finalizer removed by someone: the next reconcile puts it back.
    const withFinalizer = written(fresh, (u) => (u.metadata!.finalizers = [USER_FINALIZER]));
    expect(
      wakesUser(
        withFinalizer,
        written(withFinalizer, (u) => (u.metadata!.finalizers = [])),
      ),
    ).toBe(true);
    // The annotation added: that is work.
    const none = written(fresh, (u) => delete u.metadata!.annotations![PASSWORD_ANNOTATION]);
    expect(wakesUser(none, fresh)).toBe(true);
  });

  it('without a finalizer or annotation of its own, only status and bookkeeping are ignored', () => {
    const wakes = changedBeyondOwnWrites();
    expect(
      wakes(
        fresh,
        written(fresh, (u) => (u.status = { phase: 'Pending' })),
      ),
    ).toBe(false);
    expect(
      wakes(
        fresh,
        written(fresh, (u) => (u.metadata!.finalizers = [USER_FINALIZER])),
      ),
    ).toBe(true);
    expect(
      wakes(
        fresh,
        written(fresh, (u) => delete u.metadata!.annotations![PASSWORD_ANNOTATION]),
      ),
    ).toBe(true);
  });
});
