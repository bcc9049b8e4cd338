/**
 * The per-caller registration limit through the TLS server, as the
 * aggregator would call it (the bucket on its own is tested in
 * @cnpaas/service-kit).
 */
import { CallerRateLimiter } from '@cnpaas/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_VERSION_PATH, REGISTRATIONS_PATH } from './api-group.js';
import { DEFAULT_REGISTRATION_BURST, DEFAULT_REGISTRATIONS_PER_MINUTE, parseConfig } from './config.js';
import { testPki, type TestPki } from './test-support/pki.js';
import { startStack, type TestStack } from './test-support/stack.js';

describe('registration rate limit through the server', () => {
  let pki: TestPki;
  let stack: TestStack;
  let now = 0;

  beforeAll(async () => {
    pki = await testPki();
    stack = await startStack(pki, {
      registrationLimiter: new CallerRateLimiter({ perMinute: 10, burst: 2, now: () => now }),
    });
    stack.fake.onCreated = (rr) => stack.fake.complete(rr.metadata.name!);
  });
  afterAll(async () => stack.close());

  const body = (email: string) =>
    JSON.stringify({
      apiVersion: 'webshop.cnpaas.dev/v1',
      kind: 'RegistrationRequest',
      spec: {
        user: { firstName: 'Ada', lastName: 'Lovelace', email },
        password: 'Correct-Horse-7!',
        tenant: { country: 'GB', city: 'London', address: '1 Street', postalCode: 'SW1' },
      },
    });
  const register = (user: string, email: string) =>
    stack.proxied(REGISTRATIONS_PATH, { user, body: body(email), contentType: 'application/json' });

  it('answers 429 TooManyRequests with Retry-After once a caller used its burst, before any SubjectAccessReview or create', async () => {
    expect((await register('mallory', 'a1@example.com')).status).toBe(201);
    expect((await register('mallory', 'a2@example.com')).status).toBe(201);
    const reviews = stack.fake.reviews.length;
    const creates = stack.fake.creates.length;

    const refused = await register('mallory', 'a3@example.com');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('6');
    expect(refused.json).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 429,
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 6 },
    });
    expect(refused.json.message).toContain(
      'too many registrations from "mallory": at most 2 at once and 10 a minute; retry after 6 s',
    );
    expect(stack.fake.reviews.length).toBe(reviews);
    expect(stack.fake.creates.length).toBe(creates);
    expect(stack.lines.some((l) => l.includes('CNPAAS_API_RATE_LIMITED'))).toBe(true);

    // Other callers, and other requests of the same caller, are not limited.
    expect((await register('trent', 'b1@example.com')).status).toBe(201);
    expect((await stack.proxied(GROUP_VERSION_PATH, { user: 'mallory' })).status).toBe(200);

    // After the wait, the caller gets through again.
    now += 6_000;
    expect((await register('mallory', 'a4@example.com')).status).toBe(201);
  });

  it('is on by default with the documented numbers, and the flags (or their env twins) change them', () => {
    expect(
      new CallerRateLimiter({ perMinute: DEFAULT_REGISTRATIONS_PER_MINUTE, burst: DEFAULT_REGISTRATION_BURST }),
    ).toMatchObject({ perMinute: 10, burst: 5 });
    const required = [
      '--tls-cert-file',
      'c',
      '--tls-private-key-file',
      'k',
      '--requestheader-client-ca-file',
      'ca',
      '--kubeconfig',
      'kc',
    ];
    expect(parseConfig(required, {})).toMatchObject({ registrationRatePerMinute: 10, registrationBurst: 5 });
    expect(
      parseConfig([...required, '--registration-rate', '0'], { CNPAAS_API_REGISTRATION_BURST: '20' }),
    ).toMatchObject({ registrationRatePerMinute: 0, registrationBurst: 20 });
    expect(() => parseConfig([...required, '--registration-burst', '0'], {})).toThrow(
      /--registration-burst: "0" is not a whole number between 1 and 1000000/,
    );
    expect(() => parseConfig([...required, '--registration-rate', '1.5'], {})).toThrow(
      /--registration-rate: "1.5" is not a whole number/,
    );
  });
});
