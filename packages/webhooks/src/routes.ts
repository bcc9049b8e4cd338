/**
 * The route table: which admission handler answers on which path, under
 * which webhook name. manifests/*.yaml register the same paths and names;
 * manifests.test.ts checks that the two agree.
 */
import type { AdmissionHandler } from '@cnpaas/service-kit';
import type { EmailClaims } from './email-claim.js';
import type { PasswordHasher } from './password-hash.js';
import { createRegistrationMutator } from './registration-mutate.js';
import { MUTATING_WEBHOOK_NAME, createRegistrationValidator } from './registration-validate.js';
import { createTenantValidator } from './tenant-validate.js';
import { createUserValidator } from './user-validate.js';

export interface WebhookRoute {
  /** URL path, e.g. /mutate/registrationrequests. */
  path: string;
  /** The webhook's name in its *WebhookConfiguration (metrics and logs use it too). */
  webhook: string;
  /** Validating answers must never carry a patch (the apiserver refuses the call). */
  type: 'mutating' | 'validating';
  handler: AdmissionHandler;
}

export const WEBHOOKS = {
  mutateRegistrationRequests: {
    path: '/mutate/registrationrequests',
    webhook: MUTATING_WEBHOOK_NAME,
    type: 'mutating',
  },
  validateRegistrationRequests: {
    path: '/validate/registrationrequests',
    webhook: 'validate-registrationrequests.webshop.cnpaas.dev',
    type: 'validating',
  },
  validateUsers: { path: '/validate/users', webhook: 'validate-users.webshop.cnpaas.dev', type: 'validating' },
  validateTenants: { path: '/validate/tenants', webhook: 'validate-tenants.webshop.cnpaas.dev', type: 'validating' },
} as const satisfies Record<string, Omit<WebhookRoute, 'handler'>>;

export interface WebshopRoutesOptions {
  hasher: PasswordHasher;
  claims: EmailClaims;
}

export function webshopRoutes(options: WebshopRoutesOptions): WebhookRoute[] {
  return [
    { ...WEBHOOKS.mutateRegistrationRequests, handler: createRegistrationMutator(options) },
    { ...WEBHOOKS.validateRegistrationRequests, handler: createRegistrationValidator(options) },
    { ...WEBHOOKS.validateUsers, handler: createUserValidator(options) },
    { ...WEBHOOKS.validateTenants, handler: createTenantValidator() },
  ];
}
