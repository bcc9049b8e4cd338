import { describe, expect, it } from 'vitest';
import { SubjectAccessReviewAuthorizer, type SubjectAccessReviewSpec, type UserInfo } from './authorizer.js';
import { ApiServerError } from './errors.js';

const alice: UserInfo = { username: 'alice', groups: ['system:authenticated'], extra: { b: ['2'], a: ['1'] } };
const create = {
  resource: { group: 'api.webshop.cnpaas.dev', version: 'v1', resource: 'registrations', verb: 'create' },
};

function setup(answer: (spec: SubjectAccessReviewSpec) => { allowed: boolean; denied?: boolean; reason?: string }) {
  const asked: SubjectAccessReviewSpec[] = [];
  let now = 1_000_000;
  const authorizer = new SubjectAccessReviewAuthorizer({
    askReview: async (spec) => (asked.push(spec), answer(spec)),
    now: () => now,
  });
  return { authorizer, asked, advance: (ms: number) => (now += ms) };
}

describe('SubjectAccessReviewAuthorizer', () => {
  it('caches a decision for 10 s, per caller and attributes', async () => {
    const { authorizer, asked, advance } = setup(() => ({ allowed: true }));
    await authorizer.authorize(alice, create);
    await authorizer.authorize({ ...alice, extra: { a: ['1'], b: ['2'] } }, create); // same caller, keys in another order
    expect(asked).toHaveLength(1);
    await authorizer.authorize({ ...alice, username: 'bob' }, create);
    expect(asked).toHaveLength(2);
    advance(10_001);
    await authorizer.authorize(alice, create);
    expect(asked).toHaveLength(3);
  });

  it("treats denied=true as a denial even when allowed is set, with a 403 in kube-apiserver's words", async () => {
    const { authorizer } = setup(() => ({ allowed: true, denied: true, reason: 'explicit deny' }));
    const err = await authorizer.authorize(alice, create).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiServerError);
    expect((err as ApiServerError).status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      details: { group: 'api.webshop.cnpaas.dev', kind: 'registrations' },
    });
    expect((err as ApiServerError).status!.message).toMatch(
      /^registrations\.api\.webshop\.cnpaas\.dev is forbidden: User "alice" cannot create resource/,
    );
  });

  it('words a non-resource denial as the path', async () => {
    const { authorizer } = setup(() => ({ allowed: false }));
    const err = (await authorizer
      .authorize(alice, { nonResource: { path: '/apis', verb: 'get' } })
      .catch((e: unknown) => e)) as ApiServerError;
    expect(err.status!.message).toBe('forbidden: User "alice" cannot get path "/apis"');
  });
});
