import { describe, expect, it } from 'vitest';
import { allow, allowWithPatch, decodePatch, deny, pointerSegment, reviewResponse } from '@cnpaas/service-kit';
import { parseAdmissionReview } from './admission-review.js';
import { WebhooksError } from './errors.js';
import { admissionRequest, registrationObject, validRegistrationSpec } from './test-support.js';

const review = (request: unknown): unknown => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });

describe('AdmissionReview v1', () => {
  it('parses a review as kube-apiserver sends it', () => {
    const request = admissionRequest(registrationObject(validRegistrationSpec()));
    const parsed = parseAdmissionReview(JSON.parse(JSON.stringify(review(request))));
    expect(parsed.request.uid).toBe(request.uid);
    expect(parsed.request.operation).toBe('CREATE');
  });

  it.each([
    ['not an object', [], 'not a JSON object'],
    [
      'v1beta1',
      { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} },
      'apiVersion must be admission.k8s.io/v1',
    ],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Review', request: {} }, 'kind must be AdmissionReview'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request is missing'],
    ['no uid', review({ operation: 'CREATE', kind: {}, resource: {} }), 'request.uid is missing'],
    ['odd operation', review({ uid: 'u', operation: 'PATCH', kind: {}, resource: {} }), 'request.operation must be'],
    ['no kind', review({ uid: 'u', operation: 'CREATE' }), 'request.kind or request.resource is missing'],
  ])('refuses %s with a 400 naming the problem', (_name, body, message) => {
    let error: unknown;
    try {
      parseAdmissionReview(body);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WebhooksError);
    expect((error as WebhooksError).code).toBe('CNPAAS_WEBHOOKS_BAD_REVIEW');
    expect((error as WebhooksError).httpStatus).toBe(400);
    expect((error as WebhooksError).message).toContain(message);
  });

  it('answers with the same uid, apiVersion and kind', () => {
    const answer = reviewResponse(allow({ uid: 'abc' }));
    expect(answer).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'abc', allowed: true },
    });
    expect('request' in answer).toBe(false);
  });

  it('denies with a Status carrying code, reason and message', () => {
    expect(deny({ uid: 'abc' }, { code: 409, reason: 'Conflict', message: 'taken' })).toEqual({
      uid: 'abc',
      allowed: false,
      status: { status: 'Failure', code: 409, reason: 'Conflict', message: 'taken' },
    });
  });

  it('encodes a patch as base64 JSON with patchType JSONPatch, and sends none when empty', () => {
    const ops = [{ op: 'replace' as const, path: '/spec/x', value: 'ü' }];
    const response = allowWithPatch({ uid: 'abc' }, ops);
    expect(response.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8'))).toEqual(ops);
    expect(decodePatch(response)).toEqual(ops);
    expect(allowWithPatch({ uid: 'abc' }, [])).toEqual({ uid: 'abc', allowed: true });
  });

  it('escapes JSON pointer segments', () => {
    expect(pointerSegment('webshop.cnpaas.dev/password')).toBe('webshop.cnpaas.dev~1password');
    expect(pointerSegment('a~b')).toBe('a~0b');
  });
});
