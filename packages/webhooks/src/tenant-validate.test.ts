import { describe, expect, it } from 'vitest';
import type { AdmissionObject } from '@cnpaas/service-kit';
import { createTenantValidator } from './tenant-validate.js';
import { admissionRequest, validTenantSpec } from './test-support.js';
import { REGISTRATION_UID_LABEL } from './webshop.js';

const validate = createTenantValidator();

function tenant(name: string, spec: Record<string, unknown>): AdmissionObject {
  return {
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'Tenant',
    metadata: { name, uid: 'tenant-uid', labels: { [REGISTRATION_UID_LABEL]: 'r-uid' } },
    spec,
  };
}

const good = validTenantSpec();

describe('Tenant validation', () => {
  it('allows a valid Tenant named as its Namespace will be, its address on more than one line', async () => {
    const spec = { ...good, address: "12 St James's Square\nLondon" };
    expect((await validate(admissionRequest(tenant('t-0123456789ab', spec), { resource: 'tenants' }))).allowed).toBe(
      true,
    );
  });

  it('refuses a name that cannot be a Namespace name, and bad fields, in one answer', async () => {
    const response = await validate(
      admissionRequest(tenant('Tenant_1', { ...good, country: '', postalCode: 'x'.repeat(31) }), {
        resource: 'tenants',
      }),
    );
    expect(response.status?.code).toBe(422);
    expect(response.status?.message).toContain('Tenant "Tenant_1" is invalid (3 problems)');
    expect(response.status?.message).toContain('metadata.name: must be an RFC 1123 label');
    expect(response.status?.message).toContain("because the Tenant's Namespace gets the same name");
    expect(response.status?.message).toContain('spec.country: must not be empty');
    expect(response.status?.message).toContain('spec.postalCode: must be at most 30 characters long (it has 31)');
  });

  it('on UPDATE holds only changed fields to the rules (an old Tenant can still lose its finalizer)', async () => {
    const old = tenant('t-0123456789ab', { ...good, city: 'x'.repeat(60) });
    const finalizerRemoved = structuredClone(old);
    finalizerRemoved.metadata!['finalizers'] = [];
    expect(
      (await validate(admissionRequest(finalizerRemoved, { operation: 'UPDATE', oldObject: old, resource: 'tenants' })))
        .allowed,
    ).toBe(true);

    const worse = tenant('t-0123456789ab', { ...good, city: 'x'.repeat(60), address: '' });
    const response = await validate(
      admissionRequest(worse, { operation: 'UPDATE', oldObject: old, resource: 'tenants' }),
    );
    expect(response.status?.message).toContain('(1 problem): spec.address: must not be empty');
  });

  it('refuses a Tenant without spec', async () => {
    const response = await validate(admissionRequest({ metadata: { name: 't-1' } }, { resource: 'tenants' }));
    expect(response.status?.message).toContain('spec: is required');
  });
});
