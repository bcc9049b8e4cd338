/** Helpers shared by the unit tests (not built, not exported from the package). */
import { randomUUID } from 'node:crypto';
import { collectLines, testPki as kitTestPki, type TestPki } from '@cnpaas/service-kit/testing';
import { applyPatch } from 'rfc6902';
import {
  decodePatch,
  type AdmissionObject,
  type AdmissionRequest,
  type AdmissionResponse,
  type Operation,
} from '@cnpaas/service-kit';
import { EmailClaims, type ClaimStore, type EmailClaim, type UserRecord } from './email-claim.js';
import { createLogger, type Logger } from './logger.js';
import { PasswordHasher, type ScryptParams } from './password-hash.js';
import { createRegistrationMutator } from './registration-mutate.js';
import { createRegistrationValidator } from './registration-validate.js';
import { normaliseEmail } from './validation.js';
import { RESOURCES, WEBSHOP_GROUP, WEBSHOP_VERSION } from './webshop.js';

/**
 * A low floor for scrypt hashes (the format made before argon2id), so tests can make and verify old-format hashes
 * cheaply; the production floor has its own tests.
 */
export const FAST_SCRYPT: ScryptParams = { ln: 4, r: 8, p: 1 };

export const GOOD_PASSWORD = 'Correct-Horse-7';

export function validRegistrationSpec(overrides: { email?: string } = {}): Record<string, unknown> {
  return {
    user: {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: overrides.email ?? 'ada@example.com',
      phoneNumber: '+442079460000',
    },
    password: GOOD_PASSWORD,
    tenant: {
      country: 'GB',
      city: 'London',
      address: "12 St James's Square",
      postalCode: 'SW1Y 4JH',
      taxNumber: 'GB123456789',
    },
  };
}

/** The Tenant the operator makes of validRegistrationSpec: its tenant part, with the company name the webhook defaults. */
export function validTenantSpec(): Record<string, unknown> {
  return { ...(validRegistrationSpec()['tenant'] as Record<string, unknown>), companyName: 'Ada Lovelace' };
}

export function registrationObject(spec: unknown, options: { name?: string; uid?: string } = {}): AdmissionObject {
  return {
    apiVersion: `${WEBSHOP_GROUP}/${WEBSHOP_VERSION}`,
    kind: RESOURCES.registrationRequests.kind,
    metadata: { name: options.name ?? `r-${randomUUID().slice(0, 8)}`, uid: options.uid ?? randomUUID() },
    spec,
  };
}

export interface ReviewOptions {
  operation?: Operation;
  oldObject?: AdmissionObject | null;
  dryRun?: boolean;
  resource?: keyof typeof RESOURCES;
}

/** An AdmissionRequest as kube-apiserver sends it. */
export function admissionRequest(object: AdmissionObject | null, options: ReviewOptions = {}): AdmissionRequest {
  const resource = RESOURCES[options.resource ?? 'registrationRequests'];
  const request: AdmissionRequest = {
    uid: randomUUID(),
    kind: { group: WEBSHOP_GROUP, version: WEBSHOP_VERSION, kind: resource.kind },
    resource: { group: WEBSHOP_GROUP, version: WEBSHOP_VERSION, resource: resource.plural },
    requestKind: { group: WEBSHOP_GROUP, version: WEBSHOP_VERSION, kind: resource.kind },
    requestResource: { group: WEBSHOP_GROUP, version: WEBSHOP_VERSION, resource: resource.plural },
    operation: options.operation ?? 'CREATE',
    userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
    object,
    oldObject: options.oldObject ?? null,
    dryRun: options.dryRun ?? false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
  };
  const name = object?.metadata?.name;
  if (name) request.name = name;
  const namespace = object?.metadata?.namespace;
  if (namespace) request.namespace = namespace;
  return request;
}

/** Applies a mutating response's patch as the apiserver would (RFC 6902, all ops must succeed). */
export function applyAdmissionPatch<T extends object>(object: T, response: AdmissionResponse): T {
  const copy = structuredClone(object);
  const results = applyPatch(copy, decodePatch(response));
  const failed = results.find((r) => r !== null);
  if (failed) throw new Error(`patch did not apply: ${failed.message}`);
  return copy;
}

export interface RegistrationWebhooks {
  store: MemoryClaimStore;
  hasher: PasswordHasher;
  mutate: ReturnType<typeof createRegistrationMutator>;
  validate: ReturnType<typeof createRegistrationValidator>;
  /**
   * What kube-apiserver does with a RegistrationRequest: the mutating
   * webhook, its patch applied, then the validating webhook. `stored` is
   * the object as it would be persisted, only when both allowed it.
   */
  admit: (
    spec: unknown,
    options?: { dryRun?: boolean; uid?: string },
  ) => Promise<{ response: AdmissionResponse; stored?: AdmissionObject }>;
}

/** Both registration webhooks over one in-memory claim store, hashing with FAST_SCRYPT. */
export function registrationWebhooks(store = new MemoryClaimStore()): RegistrationWebhooks {
  const hasher = new PasswordHasher({ scryptFloor: FAST_SCRYPT });
  const mutate = createRegistrationMutator({ hasher });
  const validate = createRegistrationValidator({ claims: new EmailClaims({ store }), hasher });
  return {
    store,
    hasher,
    mutate,
    validate,
    admit: async (spec, options = {}) => {
      const object = registrationObject(spec, options.uid ? { uid: options.uid } : {});
      const dryRun = options.dryRun ?? false;
      const mutated = await mutate(admissionRequest(object, { dryRun }));
      if (!mutated.allowed) return { response: mutated };
      const patched = applyAdmissionPatch(object, mutated);
      const validated = await validate(admissionRequest(patched, { dryRun }));
      return validated.allowed ? { response: validated, stored: patched } : { response: validated };
    },
  };
}

// ---------------------------------------------------------------------------

interface MemoryClaimStoreOptions {
  /** Yield this many event-loop turns inside each call, so concurrent callers interleave as they would over HTTP. */
  turns?: number;
}

/**
 * An in-memory ClaimStore, kept for fault injection only: a store that fails
 * (`failWith`), a claim released between our create and our read
 * (`afterExists`), another writer getting there first (`beforeCreate`), and
 * concurrent requests that really overlap (every call yields first). A real
 * apiserver cannot be made to do these on cue. The API semantics themselves
 * (AlreadyExists, NotFound, the consistent User LIST, Forbidden) are proven
 * against a real kube-apiserver in email-claim.live.test.ts. `createClaim`
 * is an atomic create-if-absent, as there.
 */
export class MemoryClaimStore implements ClaimStore {
  readonly claims = new Map<string, EmailClaim>();
  readonly users: Array<UserRecord & { email: string }> = [];
  readonly calls = { create: 0, read: 0, list: 0 };
  /** Makes the next calls throw, like an unreachable apiserver. */
  failWith: Error | undefined;
  /** Runs after a create found the name taken, before the caller can read: simulates the operator releasing the claim. */
  afterExists: ((name: string) => void) | undefined;
  /** Runs inside createClaim just before its atomic check: simulates another writer getting there first. */
  beforeCreate: ((name: string) => void) | undefined;
  readonly #turns: number;

  constructor(options: MemoryClaimStoreOptions = {}) {
    this.#turns = options.turns ?? 3;
  }

  async #yield(): Promise<void> {
    for (let i = 0; i < this.#turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.failWith) throw this.failWith;
  }

  async createClaim(claim: EmailClaim): Promise<'created' | 'exists'> {
    this.calls.create++;
    await this.#yield();
    this.beforeCreate?.(claim.name);
    // Check and set with no await in between: the store's atomic create.
    if (this.claims.has(claim.name)) {
      this.afterExists?.(claim.name);
      return 'exists';
    }
    this.claims.set(claim.name, structuredClone(claim));
    return 'created';
  }

  async readClaim(name: string): Promise<EmailClaim | undefined> {
    this.calls.read++;
    await this.#yield();
    const claim = this.claims.get(name);
    return claim ? structuredClone(claim) : undefined;
  }

  async listUsersByEmail(email: string): Promise<UserRecord[]> {
    this.calls.list++;
    await this.#yield();
    return this.users
      .filter((u) => normaliseEmail(u.email) === email)
      .map(({ namespace, name, registrationUid }) =>
        registrationUid ? { namespace, name, registrationUid } : { namespace, name },
      );
  }
}

// ---------------------------------------------------------------------------

/** A logger whose JSON lines are kept for the test to read. */
export function capturingLogger(level = 'trace'): { log: Logger; lines: string[] } {
  const { destination, lines } = collectLines();
  return { log: createLogger({ level, destination }), lines };
}

export type { TestPki };

/** A CA, a serving certificate for 127.0.0.1/localhost, and client certificates (docs/design.md "Security"). */
export function testPki(): Promise<TestPki> {
  return kitTestPki({ server: 'cnpaas-webhooks', client: 'kube-apiserver-webhook-client' });
}
