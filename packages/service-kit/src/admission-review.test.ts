import { describe, expect, it } from 'vitest';
import {
  ADMISSION_REVIEW_HINT,
  admissionReviewProblem,
  allow,
  allowWithPatch,
  decodePatch,
  deny,
  parseAdmissionReview,
  pointerSegment,
  reviewResponse,
} from './admission-review.js';
import type { ErrorFactory } from './errors.js';
import { TestError, caught } from './test-support.js';

const review = (request: unknown): unknown => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
const request = { uid: 'u1', operation: 'CREATE', kind: {}, resource: {} };

describe('AdmissionReview v1', () => {
  it('finds nothing wrong with a review as kube-apiserver sends it', () => {
    expect(admissionReviewProblem(JSON.parse(JSON.stringify(review(request))))).toBeUndefined();
  });

  it("parses a review, and refuses anything else as the package's BAD_REVIEW (400) with the hint", async () => {
    const body = review(request);
    const badReview: ErrorFactory<'BAD_REVIEW'> = (kind, message, options) =>
      new TestError(`TEST_${kind}`, message, options);
    expect(parseAdmissionReview(body, badReview)).toBe(body);
    const bad = await caught(() => parseAdmissionReview({ kind: 'AdmissionReview' }, badReview));
    expect([bad.code, bad.httpStatus, bad.hint]).toEqual(['TEST_BAD_REVIEW', 400, ADMISSION_REVIEW_HINT]);
    expect(bad.message).toMatch(/^request body is not an AdmissionReview: apiVersion must be/);
  });

  it.each([
    ['not an object', [], 'not a JSON object'],
    ['v1beta1', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' }, 'apiVersion must be'],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Review' }, 'kind must be AdmissionReview'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request is missing'],
    ['no uid', review({ ...request, uid: '' }), 'request.uid is missing'],
    ['odd operation', review({ ...request, operation: 'PATCH' }), 'request.operation must be'],
    ['no resource', review({ uid: 'u', operation: 'CREATE', kind: {} }), 'request.kind or request.resource'],
  ])('names the problem of %s', (_name, body, problem) => {
    expect(admissionReviewProblem(body)).toContain(problem);
  });

  it('answers with the same uid, apiVersion and kind, and only a response', () => {
    expect(reviewResponse(allow({ uid: 'abc' }, { warnings: ['w'] }))).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'abc', allowed: true, warnings: ['w'] },
    });
  });

  it('denies with a Status carrying code, reason, message and causes', () => {
    const causes = [{ field: 'spec.x', reason: 'FieldValueRequired', message: 'spec.x: Required value' }];
    expect(deny({ uid: 'abc' }, { code: 422, reason: 'Invalid', message: 'bad', details: { causes } })).toEqual({
      uid: 'abc',
      allowed: false,
      status: { status: 'Failure', code: 422, reason: 'Invalid', message: 'bad', details: { causes } },
    });
  });

  it('sends a JSON patch as base64, and no patch for none', () => {
    const ops = [{ op: 'add' as const, path: `/metadata/labels/${pointerSegment('a/b~c')}`, value: 'v' }];
    const patched = allowWithPatch({ uid: 'abc' }, ops);
    expect(patched.patchType).toBe('JSONPatch');
    expect(decodePatch(patched)).toEqual([{ op: 'add', path: '/metadata/labels/a~1b~0c', value: 'v' }]);
    expect(allowWithPatch({ uid: 'abc' }, [])).toEqual({ uid: 'abc', allowed: true });
  });
});
