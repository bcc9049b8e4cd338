import type { RegistrationRequestStatus } from '@cnpaas/webshop-api';

/**
 * A RegistrationRequest as a client posts it, for Ada Lovelace in London;
 * `password` is what spec.password carries (a plain password or a hash).
 */
export function registrationBody(password: string, name?: string): Record<string, unknown> {
  return {
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'RegistrationRequest',
    metadata: name ? { name } : {},
    spec: {
      user: { firstName: 'Ada', lastName: 'Lovelace', email: 'Ada@Example.com' },
      password,
      tenant: { country: 'GB', city: 'London', address: "12 St James's Square", postalCode: 'SW1Y 4JH' },
    },
  };
}

/** The status the operator writes once the tenant, namespace, user and welcome email of `name` exist. */
export const completedStatus = (name: string): RegistrationRequestStatus => ({
  tenant: `t-${name}`,
  namespace: `t-${name}`,
  user: `t-${name}`,
  email: `t-${name}-welcome`,
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      reason: 'Completed',
      message: 'tenant, namespace, user and welcome email exist',
    },
  ],
});

/** What the API answers in `status` for a completed registration of `name`: the children's names, no conditions. */
export const answeredStatus = (name: string) => ({
  tenant: `t-${name}`,
  namespace: `t-${name}`,
  user: `t-${name}`,
  email: `t-${name}-welcome`,
});
