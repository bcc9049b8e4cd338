import { describe, expect, it } from 'vitest';
import {
  admissionReviewProblem,
  allow,
  allowWithPatch,
  decodePatch,
  deny,
  pointerSegment,
  reviewResponse,
} from './admission-review.js';

const review = (request: unknown): unknown => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
const request = { uid: 'u1', operation: 'CREATE', kind: {}, resource: {} };

describe('AdmissionReview v1', () => {
  it('finds nothing wrong with a review as kube-apiserver sends it', () => {
    expect(admissionReviewProblem(JSON.parse(JSON.stringify(review(request))))).toBeUndefined();
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
