/**
 * The User controller: everything one User needs in its tenant namespace,
 * and its access to its own Tenant.
 *
 * In the User's namespace, all controlled by the User (the garbage
 * collector removes them with it):
 * - ServiceAccount `<user>`;
 * - Role and RoleBinding `<user>`: get/update/patch on this User only
 *   (`resourceNames`);
 * - Role and RoleBinding `<user>-api-server`: what cnpaas-api-server needs
 *   to verify this User's address and sign it in (get this User, patch its
 *   status, get its password Secret, create a token for its ServiceAccount),
 *   each by `resourceNames`, so the api-server reaches no other User's;
 * - Secret `<user>-password` holding the password hash, and
 *   `status.passwordRef` naming it. The hash arrives in the User's
 *   `webshop.cnpaas.dev/password` annotation (from the registration, or a
 *   later password change by the User itself); once the Secret holds it, the
 *   annotation is removed, with a JSON Patch `test` on its value so a newer
 *   hash written meanwhile is never dropped. Only a value the shared hash
 *   rule accepts (password-hash.ts: an exact argon2id or scrypt PHC string at
 *   or above its cost floor, the same rule the admission webhooks apply) reaches the
 *   Secret; anything else is removed unused, with a PasswordStored=False
 *   condition and a Warning event saying why.
 *
 * Cluster-scoped, for reading the Tenant (which is cluster-scoped too):
 * ClusterRole and ClusterRoleBinding `webshop-user.<namespace>.<user>`
 * (`get` on that Tenant and on its Namespace, by `resourceNames`). A cluster-scoped object can
 * only have a cluster-scoped owner, so the Tenant owns them; the User's
 * finalizer deletes them when the User goes (docs/design.md "The registration flow").
 *
 * The operator may create these Roles only because it holds every
 * permission they grant (RBAC escalation prevention); see manifests/rbac.yaml.
 *
 * Order: the ServiceAccount, the two Role-and-binding pairs and the Secret
 * are made at once (each binding after its Role), then one patch puts the
 * finalizer on and takes the hash off, then the ClusterRole and its binding.
 * RBAC creates are the slow writes (kube-apiserver checks every rule against
 * the creator's), and in series they were most of a User's time to Ready.
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type Clock,
  controllerRef,
  type EventRecorder,
  hasFinalizer,
  isControlledBy,
  type JsonPatchOp,
  type Logger,
  type Reconciler,
  type ReconcileResult,
  withControllerRef,
} from '@cnpaas/kube';
import { PASSWORD_SECRET_TYPE, USER_CONDITIONS } from '@cnpaas/webshop-api';
import {
  childLabels,
  controlledBy,
  ensureChild,
  ownerReconcile,
  reportNameConflict,
  type EnsureOptions,
  type EnsureResult,
} from './children.js';
import { deleteIfPresent, dropFinalizer, getOrUndefined, withFinalizer, type WebshopApi } from './kube-api.js';
import type { WebshopMetrics } from './metrics.js';
import {
  PASSWORD_ANNOTATION,
  REGISTRATION_UID_LABEL,
  API_SERVER_SERVICE_ACCOUNT,
  apiServerAccessName,
  USER_FINALIZER,
  USER_UID_LABEL,
  TENANT_LABEL,
  WEBSHOP_GROUP,
  passwordSecretName,
  userClusterRbacName,
} from './names.js';
import {
  DEFAULT_HASH_FLOOR,
  classifyPasswordValue,
  describeHashRule,
  type PasswordHashFloor,
} from './password-hash.js';
import { READY, StatusUpdate } from './status.js';
import type { PolicyRule, Role, RoleBinding, Secret, Tenant, User } from './types.js';
import { liveObjectReconciler } from './live-object.js';

export { USER_CONDITIONS } from '@cnpaas/webshop-api';

/** The Secret type of password hashes (the contract's): says what it holds to anyone listing Secrets. */
export { PASSWORD_SECRET_TYPE } from '@cnpaas/webshop-api';
const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface UserControllerOptions {
  api: WebshopApi;
  clock: Clock;
  events?: EventRecorder;
  metrics?: WebshopMetrics;
  /**
   * The weakest cost a stored hash may have, per algorithm; default argon2id m=19456,t=2,p=1 and scrypt
   * ln=15,r=8,p=3 (what the webhooks require).
   */
  passwordHashFloor?: Readonly<PasswordHashFloor>;
  /**
   * Who cnpaas-api-server is: a client-certificate user on `cnpaas up` (its CN), else, in a
   * cluster, the ServiceAccount cnpaas-system/cnpaas-api-server. Only that one identity is
   * bound: a User subject in a cluster would let anyone who gets a certificate with that CN act as it.
   */
  apiServerUser?: string;
}

export function userReconciler(options: UserControllerOptions): Reconciler<User> {
  return liveObjectReconciler(options, { apply: applyUser, finalize: finalizeUser });
}

/** Labels of everything made for one User. */
function userLabels(user: User): Record<string, string> {
  return {
    [USER_UID_LABEL]: user.metadata?.uid ?? '',
    ...childLabels(user.metadata?.labels?.[REGISTRATION_UID_LABEL]),
  };
}

function meta(user: User, name: string): KubernetesObject['metadata'] {
  return { name, namespace: user.metadata?.namespace, labels: userLabels(user) };
}

export function ownUserRules(user: User): PolicyRule[] {
  return [
    {
      apiGroups: [WEBSHOP_GROUP],
      resources: ['users'],
      resourceNames: [user.metadata?.name ?? ''],
      verbs: ['get', 'update', 'patch'],
    },
  ];
}

/** A tenant's namespace has the tenant's name: the User may read both (the console's tenant view does). */
export function ownTenantRules(tenantName: string): PolicyRule[] {
  return [
    { apiGroups: [WEBSHOP_GROUP], resources: ['tenants'], resourceNames: [tenantName], verbs: ['get'] },
    { apiGroups: [''], resources: ['namespaces'], resourceNames: [tenantName], verbs: ['get'] },
  ];
}

/**
 * What cnpaas-api-server may do about this one User: read it and record its
 * verification (verifications), read its password hash and mint a token for
 * its ServiceAccount (logins). Every rule names its object.
 */
export function apiServerRules(user: User): PolicyRule[] {
  const name = user.metadata?.name ?? '';
  return [
    { apiGroups: [WEBSHOP_GROUP], resources: ['users'], resourceNames: [name], verbs: ['get'] },
    { apiGroups: [WEBSHOP_GROUP], resources: ['users/status'], resourceNames: [name], verbs: ['patch'] },
    { apiGroups: [''], resources: ['secrets'], resourceNames: [passwordSecretName(name)], verbs: ['get'] },
    { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [name], verbs: ['create'] },
  ];
}

/** Key order aside: the apiserver writes fields in its Go structs' order (verbs first, kind before apiGroup). */
/**
 * Equal as data, whatever the order of object keys: the apiserver answers labels sorted and rule
 * fields in its own order, so comparing JSON text would see a change on every reconcile and
 * rewrite an unchanged object each time.
 */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

/** A Role/ClusterRole whose rules drifted gets them back. */
export function repairRules(desired: Role): (existing: Role) => Role | undefined {
  return (existing) =>
    sameJson(existing.rules, desired.rules) && sameJson(existing.metadata?.labels, desired.metadata?.labels)
      ? undefined
      : { ...existing, rules: desired.rules, metadata: { ...existing.metadata, labels: desired.metadata?.labels } };
}

/** A binding whose subjects drifted gets them back (roleRef is immutable: a wrong one is deleted and re-made). */
export function repairSubjects(desired: RoleBinding): (existing: RoleBinding) => RoleBinding | undefined {
  return (existing) =>
    sameJson(existing.subjects, desired.subjects) && sameJson(existing.metadata?.labels, desired.metadata?.labels)
      ? undefined
      : {
          ...existing,
          subjects: desired.subjects,
          metadata: { ...existing.metadata, labels: desired.metadata?.labels },
        };
}

type Outcome = { conflict: KubernetesObject } | undefined;

/**
 * Every promise settled, then their values, or the first rejection in list order. Unlike Promise.all
 * nothing is still in flight when the reconcile ends (a retry never overlaps its own previous pass), and
 * the error that reaches the queue does not depend on which request happened to fail first.
 */
async function allSettledOrThrow<const T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

async function applyUser(options: UserControllerOptions, cached: User, log: Logger): Promise<ReconcileResult | void> {
  const { api } = options;
  const namespace = cached.metadata?.namespace ?? '';
  // Creates in a terminating namespace are refused; the User is about to be deleted anyway.
  const ns = await getOrUndefined(api.namespaces, { name: namespace });
  if (!ns || ns.metadata?.deletionTimestamp) return;
  // The operator holds access only in tenant namespaces (its RoleBinding there; the confinement policy
  // admits its writes nowhere else): for a User elsewhere every create is refused (403), retried with
  // backoff forever, after a finalizer was put on for RBAC never made. Say so on the User once, make nothing.
  if (ns.metadata?.labels?.[TENANT_LABEL] !== namespace) {
    const status = new StatusUpdate(cached, { api: api.users, clock: options.clock });
    status.condition(
      READY,
      'False',
      'NotATenantNamespace',
      `Namespace ${namespace} is not a tenant namespace (labelled ${TENANT_LABEL}=${namespace}); the operator serves Users only in the namespaces of their Tenants`,
    );
    await status.write();
    return;
  }

  const { expect, status } = ownerReconcile(cached, { api: api.users, clock: options.clock });
  const conflict = (obj: KubernetesObject): Promise<ReconcileResult> =>
    reportNameConflict(obj, {
      options,
      status,
      log,
      expected: 'controlled by this User (or its Tenant)',
      action: 'CreateUserResources',
    });

  // The namespaced children do not depend on each other: each Role-and-binding pair is one chain, the
  // ServiceAccount and the password Secret one request each, and all of them go at once (four serial RBAC
  // creates were most of a User's time to Ready). A conflict in any stops before the User is touched.
  const step: ChildrenStep = { options, user: cached, expect };
  const [serviceAccount, ownAccess, apiServerAccess, password] = await allSettledOrThrow([
    ensureServiceAccount(step),
    ensureOwnAccess(step),
    ensureApiServerAccess(step),
    storePassword({ ...step, status, log }),
  ] as const);
  const namespaced = serviceAccount ?? ownAccess ?? apiServerAccess;
  if (namespaced) return conflict(namespaced.conflict);
  if ('conflict' in password) return conflict(password.conflict);

  // One patch puts the finalizer on before any cluster-scoped RBAC exists (what we make, we remove; the
  // namespaced children above go with the namespace or by GC) and takes the hash off the User once the
  // Secret holds it or it was refused: one write where there were two.
  const user = await withFinalizer(api.users, cached, USER_FINALIZER, password.consume);
  password.report?.();

  const tenantAccess = await ensureTenantAccess({ options, user, namespace: ns, status, expect });
  if (tenantAccess) return conflict(tenantAccess.conflict);

  status.clearConflict().condition(READY, 'True', 'Ready', 'service account, role, binding and password secret exist');
  verification(user, status);
  await status.write();
}

/**
 * Phase and the Verified condition, from status.verifiedAt alone (level-triggered: whoever wrote it, and
 * however often this runs, the outcome is the same). cnpaas-api-server writes verifiedAt when a
 * verification link is accepted; the operator owns phase and conditions.
 */
function verification(user: User, status: StatusUpdate<User>): void {
  const verifiedAt = user.status?.verifiedAt;
  if (verifiedAt) {
    status
      .field('phase', 'Verified')
      .condition(USER_CONDITIONS.verified, 'True', 'LinkAccepted', `the email address was verified at ${verifiedAt}`);
  } else {
    status
      .field('phase', 'Pending')
      .condition(
        USER_CONDITIONS.verified,
        'False',
        'WaitingForLink',
        'the verification link in the welcome mail has not been opened yet',
      );
  }
}

/** What a step over one User's children is given; `expect` as in ensureChild. */
interface ChildrenStep {
  options: UserControllerOptions;
  user: User;
  expect: ChildExpectation;
}

type ChildExpectation = EnsureOptions<KubernetesObject>['expect'];

/** ServiceAccount `<user>` in the User's namespace. */
async function ensureServiceAccount(step: ChildrenStep): Promise<Outcome> {
  const { options, user, expect } = step;
  const name = user.metadata?.name ?? '';
  const sa = await ensureChild({
    api: options.api.serviceAccounts,
    desired: withControllerRef({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(user, name) }, user),
    isOurs: controlledBy(user),
    expect,
  });
  return sa.outcome === 'conflict' ? { conflict: sa.object } : undefined;
}

/** Role and RoleBinding `<user>`: the User's ServiceAccount may get, update and patch this User (ownUserRules). */
async function ensureOwnAccess(step: ChildrenStep): Promise<Outcome> {
  const { options, user, expect } = step;
  const name = user.metadata?.name ?? '';
  return ensureRoleAndBinding({
    api: options.api,
    user,
    name,
    rules: ownUserRules(user),
    subjects: [{ kind: 'ServiceAccount', name, namespace: user.metadata?.namespace ?? '' }],
    expect,
  });
}

/** Role and RoleBinding `<user>-api-server`: cnpaas-api-server's access to this one User (apiServerRules). */
async function ensureApiServerAccess(step: ChildrenStep): Promise<Outcome> {
  const { options, user, expect } = step;
  return ensureRoleAndBinding({
    api: options.api,
    user,
    expect,
    name: apiServerAccessName(user.metadata?.name ?? ''),
    rules: apiServerRules(user),
    subjects: options.apiServerUser
      ? [{ apiGroup: RBAC_GROUP, kind: 'User', name: options.apiServerUser }]
      : [{ kind: 'ServiceAccount', ...API_SERVER_SERVICE_ACCOUNT }],
  });
}

/** A Role `name` in the User's namespace with these rules, and a RoleBinding of the same name to `subjects`, both controlled by the User. */
async function ensureRoleAndBinding(options: {
  api: WebshopApi;
  user: User;
  name: string;
  rules: PolicyRule[];
  subjects: NonNullable<RoleBinding['subjects']>;
  expect: ChildExpectation;
}): Promise<Outcome> {
  const { api, user, name, expect } = options;
  const isOurs = controlledBy(user);
  const role: Role = withControllerRef(
    { apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: meta(user, name), rules: options.rules },
    user,
  );
  // The binding waits for its Role: kube-apiserver admits a binding by a creator without `bind` on the role
  // only after checking that the creator holds every rule of it, and a Role it cannot read has no rules to
  // check, so a binding sent alongside is refused (403) whenever it arrives first.
  const roleResult = await ensureChild({ api: api.roles, desired: role, isOurs, repair: repairRules(role), expect });
  if (roleResult.outcome === 'conflict') return { conflict: roleResult.object };
  const binding: RoleBinding = withControllerRef(
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: meta(user, name),
      roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name },
      subjects: options.subjects,
    },
    user,
  );
  return ensureBinding({ api: api.roleBindings, binding, isOurs, expect });
}

async function ensureBinding(options: {
  api: WebshopApi['roleBindings'];
  binding: RoleBinding;
  isOurs: (obj: KubernetesObject) => boolean;
  expect: ChildExpectation;
}): Promise<Outcome> {
  const { api, binding, isOurs, expect } = options;
  const result: EnsureResult<RoleBinding> = await ensureChild({
    api,
    desired: binding,
    isOurs,
    repair: repairSubjects(binding),
    expect,
  });
  if (result.outcome === 'conflict') return { conflict: result.object };
  if (!sameJson(result.object.roleRef, binding.roleRef)) {
    // roleRef cannot be changed in place: delete this exact object; the next reconcile makes it right.
    const target = { namespace: binding.metadata?.namespace, name: binding.metadata?.name ?? '' };
    await deleteIfPresent(api, target, { preconditions: { uid: result.object.metadata?.uid } });
    throw new Error(
      `${binding.kind ?? 'binding'} ${binding.metadata?.name ?? ''} had a different roleRef; deleted it to re-create`,
    );
  }
  return undefined;
}

interface PasswordStep extends ChildrenStep {
  status: StatusUpdate<User>;
  log: Logger;
}

/**
 * What storing the password leaves to the caller: the JSON Patch operations that take the consumed hash
 * off the User (to go into the caller's one patch of the User), and what to report once they are applied.
 */
interface PasswordOutcome {
  consume: JsonPatchOp[];
  report?: () => void;
}

/** Annotation → Secret → annotation removed; status.passwordRef names the Secret whenever it exists. */
async function storePassword(step: PasswordStep): Promise<PasswordOutcome | { conflict: KubernetesObject }> {
  const { options, user, status, log, expect } = step;
  const { api } = options;
  const name = user.metadata?.name ?? '';
  const namespace = user.metadata?.namespace ?? '';
  const secretName = passwordSecretName(name);
  const hash = user.metadata?.annotations?.[PASSWORD_ANNOTATION];

  const floor = options.passwordHashFloor ?? DEFAULT_HASH_FLOOR;
  const kind = hash === undefined ? undefined : classifyPasswordValue(hash, floor);
  if (hash !== undefined && kind?.kind !== 'hash') {
    // The User webhook refuses this; if it was bypassed (or the webhook is older), never store (or keep) what may be
    // plain text or a cheap hash. The message describes the rule, never the value.
    const rule = describeHashRule(floor);
    const [reason, what] =
      kind?.kind === 'malformed'
        ? ['UnacceptableHash', `looked like a password hash but was not an acceptable one (${rule})`]
        : ['NotAHash', `did not hold a password hash (${rule})`];
    const message = `the ${PASSWORD_ANNOTATION} annotation ${what}; it was removed unused and no password was stored`;
    status.condition(USER_CONDITIONS.passwordStored, 'False', reason, message);
    return {
      consume: removePasswordAnnotation(hash),
      report: () => {
        void options.events?.publish({
          regarding: user,
          type: 'Warning',
          reason,
          action: 'StorePassword',
          note: message,
        });
        log.warn({ reason }, 'password annotation was not an acceptable hash; removed it without storing');
      },
    };
  }

  if (hash !== undefined) {
    const secret: Secret = withControllerRef(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: meta(user, secretName),
        type: PASSWORD_SECRET_TYPE,
        data: { hash: Buffer.from(hash, 'utf8').toString('base64') },
      },
      user,
    );
    const stored = await ensureChild<Secret>({
      api: api.secrets,
      desired: secret,
      isOurs: controlledBy(user),
      expect,
      // A newer hash (a password change) replaces the old one.
      repair: (existing) =>
        existing.data?.['hash'] === secret.data?.['hash'] ? undefined : { ...existing, data: secret.data },
    });
    if (stored.outcome === 'conflict') return { conflict: stored.object };
    status
      .field('passwordRef', { name: secretName })
      .condition(USER_CONDITIONS.passwordStored, 'True', 'Stored', `the password hash is in Secret ${secretName}`);
    // The Secret holds it now: the hash leaves the User.
    return {
      consume: removePasswordAnnotation(hash),
      report: () => {
        if (stored.outcome !== 'exists') options.metrics?.passwordsStored.inc();
      },
    };
  }

  const existing = await getOrUndefined(api.secrets, { namespace, name: secretName });
  if (existing && isControlledBy(existing, user)) {
    status
      .field('passwordRef', { name: secretName })
      .condition(USER_CONDITIONS.passwordStored, 'True', 'Stored', `the password hash is in Secret ${secretName}`);
  } else {
    status.condition(
      USER_CONDITIONS.passwordStored,
      'False',
      'NoPassword',
      `no password hash was given (annotation ${PASSWORD_ANNOTATION})`,
    );
  }
  return { consume: [] };
}

/**
 * The operations that take `hash` off the User. `test` first: if the User got a newer hash meanwhile,
 * the patch fails, the reconcile is retried, and that pass stores the newer one.
 */
function removePasswordAnnotation(hash: string): JsonPatchOp[] {
  const path = `/metadata/annotations/${PASSWORD_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  return [
    { op: 'test', path, value: hash },
    { op: 'remove', path },
  ];
}

interface TenantAccessStep extends ChildrenStep {
  namespace: KubernetesObject;
  status: StatusUpdate<User>;
}

/** ClusterRole + ClusterRoleBinding to `get` the Tenant that controls the User's namespace. */
async function ensureTenantAccess(step: TenantAccessStep): Promise<Outcome> {
  const { options, user, namespace, status, expect } = step;
  const { api } = options;
  const tenantName = namespace.metadata?.name ?? '';
  const tenant = await getOrUndefined<Tenant>(api.tenants, { name: tenantName });
  // A User in a namespace no Tenant controls (made by hand, say) has no Tenant to read.
  if (!tenant || !isControlledBy(namespace, tenant) || tenant.metadata?.deletionTimestamp) {
    status.condition(
      USER_CONDITIONS.tenantAccess,
      'False',
      'NoTenant',
      `no live Tenant controls Namespace ${tenantName}`,
    );
    return undefined;
  }
  const rbacName = userClusterRbacName(tenantName, user.metadata?.name ?? '');
  const isOurs = controlledBy(tenant);
  const labels = userLabels(user);
  const clusterRole: Role = {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: { name: rbacName, labels, ownerReferences: [controllerRef(tenant)] },
    rules: ownTenantRules(tenantName),
  };
  const role = await ensureChild({
    api: api.clusterRoles,
    desired: clusterRole,
    isOurs,
    repair: repairRules(clusterRole),
    expect,
  });
  if (role.outcome === 'conflict') return { conflict: role.object };
  const binding: RoleBinding = {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: rbacName, labels, ownerReferences: [controllerRef(tenant)] },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: rbacName },
    subjects: [{ kind: 'ServiceAccount', name: user.metadata?.name ?? '', namespace: tenantName }],
  };
  const bound = await ensureBinding({ api: api.clusterRoleBindings, binding, isOurs, expect });
  if (bound) return bound;
  status.condition(
    USER_CONDITIONS.tenantAccess,
    'True',
    'Granted',
    `ServiceAccount ${user.metadata?.name ?? ''} may get Tenant ${tenantName}`,
  );
  return undefined;
}

/** On deletion: the cluster-scoped RBAC made for this User goes (namespaced children go with the namespace or by GC). */
async function finalizeUser(options: UserControllerOptions, user: User, log: Logger): Promise<void> {
  if (!hasFinalizer(user, USER_FINALIZER)) return;
  const { api } = options;
  const rbacName = userClusterRbacName(user.metadata?.namespace ?? '', user.metadata?.name ?? '');
  // Only objects made for this very User (its UID label): a successor namesake keeps its own.
  const mine = (obj: KubernetesObject | undefined): obj is KubernetesObject =>
    obj?.metadata?.labels?.[USER_UID_LABEL] === user.metadata?.uid;
  const binding = await getOrUndefined(api.clusterRoleBindings, { name: rbacName });
  if (mine(binding))
    await deleteIfPresent(
      api.clusterRoleBindings,
      { name: rbacName },
      { preconditions: { uid: binding.metadata?.uid } },
    );
  const role = await getOrUndefined(api.clusterRoles, { name: rbacName });
  if (mine(role))
    await deleteIfPresent(api.clusterRoles, { name: rbacName }, { preconditions: { uid: role.metadata?.uid } });
  await dropFinalizer(api.users, user, USER_FINALIZER);
  log.info('cluster RBAC of the user removed; finalizer removed');
}
