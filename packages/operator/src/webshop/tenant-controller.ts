/**
 * The Tenant controller: each Tenant has a Namespace of the same name, owned
 * by the Tenant (a controller ownerReference), and a finalizer that really
 * cleans up: on deletion it deletes the Namespace and keeps the Tenant until
 * the Namespace is gone (the namespace controller first deletes everything
 * in it: the User, whose own finalizer removes its cluster RBAC, the Email,
 * the Secret).
 *
 * Where the original demo was wrong (docs/design.md "Origins"): it created
 * the Namespace under the Tenant's name but looked it up on delete under the
 * Tenant's UID, so its clean-up never ran; and it put a finalizer on the
 * Namespace that only that broken path removed. Here the Namespace carries
 * no finalizer of ours, and the Tenant's finalizer finds it by name and
 * checks it by owner UID.
 *
 * In the Namespace it also makes RoleBinding `cnpaas-operator`, the
 * operator's own (and only) access to Secrets, ServiceAccounts and Roles
 * (operator-access.ts).
 */
import { REGISTRATION_EVENTS } from '@cnpaas/webshop-api';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type Clock,
  controllerRef,
  type EventRecorder,
  hasFinalizer,
  isControlledBy,
  type JustCreated,
  type Reconciler,
  type ReconcileResult,
} from '@cnpaas/kube';
import { childLabels, controlledBy, ensureChild, ownerReconcile, reportNameConflict } from './children.js';
import { deleteIfPresent, dropFinalizer, getOrUndefined, withFinalizer, type WebshopApi } from './kube-api.js';
import type { WebshopMetrics } from './metrics.js';
import { operatorAccessBinding } from './operator-access.js';
import { OPERATOR_NAME, REGISTRATION_UID_LABEL, TENANT_FINALIZER, TENANT_LABEL } from './names.js';
import { READY, StatusUpdate } from './status.js';
import type { Namespace, Tenant } from './types.js';
import { liveObjectReconciler, type ObjectStep } from './live-object.js';

export interface TenantControllerOptions {
  api: WebshopApi;
  clock: Clock;
  events?: EventRecorder;
  metrics?: WebshopMetrics;
  /** How often to look while a Namespace is terminating. Default 2 s (its deletion also wakes us). */
  namespacePollMs?: number;
  /** The operator's own user name, bound in each tenant namespace. Default cnpaas-operator. */
  operatorUser?: string;
  /** Told of each Namespace this controller creates, so that its ADDED event does not run the Tenant again. */
  justCreated?: Pick<JustCreated, 'creating' | 'settled'>;
}

export function tenantReconciler(options: TenantControllerOptions): Reconciler<Tenant> {
  return liveObjectReconciler(options, { apply: applyTenant, finalize: finalizeTenant });
}

export function desiredNamespace(tenant: Tenant): Namespace {
  const name = tenant.metadata?.name ?? '';
  const labels = { [TENANT_LABEL]: name, ...childLabels(tenant.metadata?.labels?.[REGISTRATION_UID_LABEL]) };
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, ownerReferences: [controllerRef(tenant)] } };
}

const applyTenant: ObjectStep<TenantControllerOptions, Tenant> = async (options, cached, log) => {
  const { api } = options;
  const name = cached.metadata?.name ?? '';
  const { expect, status } = ownerReconcile(cached, { api: api.tenants, clock: options.clock });
  // The finalizer goes on before the Namespace exists: a Namespace we made is always cleaned up. The
  // registration controller creates its Tenants with it, so this is a request only for a Tenant made
  // some other way.
  const tenant = await withFinalizer(api.tenants, cached, TENANT_FINALIZER);

  const conflict = (obj: KubernetesObject): Promise<ReconcileResult> =>
    reportNameConflict(obj, {
      options,
      status,
      log,
      expected: 'controlled by this Tenant',
      action: `Create${obj.kind ?? 'Namespace'}`,
    });

  const desired = desiredNamespace(tenant);
  // Its ADDED event wakes nothing while this pass goes on to make the rest (JustCreated); an event
  // swallowed meanwhile that was not of our create runs the Tenant again at the end.
  options.justCreated?.creating(name);
  const namespace = await ensureChild({
    api: api.namespaces,
    desired,
    isOurs: controlledBy(tenant),
    expect,
  }).catch((err: unknown) => {
    options.justCreated?.settled(name, undefined);
    throw err;
  });
  const again =
    options.justCreated?.settled(name, namespace.outcome === 'created' ? namespace.object : undefined) === true;
  if (namespace.outcome === 'conflict') return conflict(namespace.object);
  if (namespace.object.metadata?.deletionTimestamp) {
    // Someone deleted it under a live Tenant: once it is gone, the owns() watch wakes us to make it again.
    status.condition(
      READY,
      'False',
      'NamespaceTerminating',
      `Namespace ${name} is being deleted; it is re-created once gone`,
    );
    await status.write();
    return { requeueAfterMs: options.namespacePollMs ?? 2_000 };
  }
  // The operator's own access to the namespace (operator-access.ts): the User controller's Secret,
  // ServiceAccount and Roles there need it, so it exists before the Tenant is Ready. In a Namespace
  // created just now it cannot exist yet; in one that was there it is read (it is not watched): a pass
  // woken by the Namespace's event on a Tenant whose status the cache does not show yet is no new Tenant.
  const access = await ensureChild({
    api: api.roleBindings,
    desired: operatorAccessBinding({
      tenant,
      labels: desired.metadata?.labels ?? {},
      user: options.operatorUser ?? OPERATOR_NAME,
    }),
    isOurs: controlledBy(tenant),
    expect: namespace.outcome === 'created' ? 'absent' : undefined,
  });
  if (access.outcome === 'conflict') return conflict(access.object);
  if (namespace.outcome === 'created') {
    void options.events?.publish({
      regarding: tenant,
      type: 'Normal',
      reason: REGISTRATION_EVENTS.namespaceCreated,
      action: 'CreateNamespace',
      note: `created Namespace ${name}`,
    });
  }
  status
    .field('namespace', name)
    .clearConflict()
    .condition(READY, 'True', 'NamespaceReady', `Namespace ${name} exists`);
  await status.write();
  return again ? { requeueAfterMs: 1 } : undefined;
};

const finalizeTenant: ObjectStep<TenantControllerOptions, Tenant> = async (options, tenant, log) => {
  const { api } = options;
  if (!hasFinalizer(tenant, TENANT_FINALIZER)) return;
  const name = tenant.metadata?.name ?? '';
  const namespace = await getOrUndefined(api.namespaces, { name });
  // Only our own Namespace is deleted: a namesake someone else made is left alone (and does not block).
  if (namespace && isControlledBy(namespace, tenant)) {
    if (!namespace.metadata?.deletionTimestamp) {
      await deleteIfPresent(api.namespaces, { name }, { preconditions: { uid: namespace.metadata?.uid } });
      log.info({ namespace: name }, 'deleting the tenant namespace');
    }
    const status = new StatusUpdate(tenant, { api: api.tenants, clock: options.clock });
    status.condition(READY, 'False', 'Deleting', `waiting for Namespace ${name} to be deleted`);
    await status.write();
    return { requeueAfterMs: options.namespacePollMs ?? 2_000 };
  }
  await dropFinalizer(api.tenants, tenant, TENANT_FINALIZER);
  log.info({ namespace: name }, 'namespace gone; tenant finalizer removed');
};
