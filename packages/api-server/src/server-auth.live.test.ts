/**
 * Authorization by real SubjectAccessReviews: our server in front of a real
 * kube-apiserver on cnpaas-store (@cnpaas/platform/testing), as
 * cnpaas-api-server with manifests/rbac.yaml. The cluster's RBAC decides:
 * a caller without cnpaas-registrant gets kube-apiserver's 403 wording, and
 * an identity that may not ask SubjectAccessReviews gets a 500 naming our
 * RBAC. Answers a real apiserver cannot be made to give on cue (a failing
 * SAR, a denial with a reason of our choosing) stay in server-auth.test.ts.
 *
 * One control plane for the file.
 */
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { requestAudit, userKubeConfig, type RequestAudit } from '@cnpaas/service-kit/testing';
import { SYSTEM_NAMESPACE } from '@cnpaas/webshop-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_VERSION_PATH, REGISTRATIONS_PATH } from './api-group.js';
import { testPki, type TestPki } from './test-support/pki.js';
import { startServer, type ServerStack } from './test-support/stack.js';

const IDENTITY = 'cnpaas-api-server';
/** Has no RBAC at all, so it may not ask SubjectAccessReviews either. */
const UNBOUND = 'cnpaas-api-server-unbound';
const RBAC = new URL('../manifests/rbac.yaml', import.meta.url).pathname;

let cp: TestControlPlane;
let audit: RequestAudit;
let pki: TestPki;
let stack: ServerStack;

beforeAll(async () => {
  audit = requestAudit({ users: [IDENTITY, UNBOUND] });
  cp = await startControlPlane({ apiserverArgs: audit.apiserverArgs });
  await cp.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } }, RBAC]);
  pki = await testPki();
  stack = await startServer(pki, await userKubeConfig(cp, IDENTITY));
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await cp?.stop();
  audit?.close();
});

describe('SubjectAccessReview authorization on a real apiserver', () => {
  it("answers 403 with kube-apiserver's wording and the role to ask for when RBAC does not allow create", async () => {
    const reply = await stack.proxied(REGISTRATIONS_PATH, {
      user: 'mallory',
      groups: ['nobody-in-particular'],
      body: '{}',
      contentType: 'application/json',
    });
    expect(reply.status).toBe(403);
    expect(reply.json).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 403,
      reason: 'Forbidden',
    });
    expect(reply.json.message).toContain(
      'registrations.api.webshop.cnpaas.dev is forbidden: User "mallory" cannot create resource "registrations" in API group "api.webshop.cnpaas.dev" at the cluster scope',
    );
    expect(reply.json.message).toContain('cnpaas-registrant');
    // Asked as our own identity, and nothing was created.
    const reviews = await audit.waitFor(
      (r) => r.user.username === IDENTITY && r.objectRef?.resource === 'subjectaccessreviews',
    );
    expect(reviews.map((r) => r.responseStatus?.code)).toContain(201);
    expect(
      audit.requests().filter((r) => r.verb === 'create' && r.objectRef?.resource === 'registrationrequests'),
    ).toEqual([]);
  });

  it('lets the cluster decide for system:masters too: the real SAR allows them', async () => {
    const reply = await stack.proxied(GROUP_VERSION_PATH, { user: 'root', groups: ['system:masters'] });
    expect(reply.status).toBe(200);
  });

  it('answers 500 naming our RBAC when the kube API forbids our own SAR', async () => {
    const weak = await startServer(pki, await userKubeConfig(cp, UNBOUND));
    try {
      const reply = await weak.proxied('/openapi/v3', { user: 'bob-500' });
      expect(reply.status).toBe(500);
      expect(reply.json).toMatchObject({ kind: 'Status', code: 500, reason: 'InternalError' });
      expect(reply.json.message).toContain('manifests/rbac.yaml');
      const [review] = await audit.waitFor(
        (r) => r.user.username === UNBOUND && r.objectRef?.resource === 'subjectaccessreviews',
      );
      expect(review!.responseStatus?.code).toBe(403);
    } finally {
      await weak.close();
    }
  });
});
