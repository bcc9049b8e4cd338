/**
 * Wires the webshop controllers into a Manager: which informers each one
 * reads, and which events wake which keys.
 *
 * Informers are scoped to what the controllers need (and RBAC grants):
 * Namespaces only with the tenant label, ConfigMaps only the claims in the
 * system namespace. EmailTemplates in every namespace: each one gets a Valid
 * condition, wherever it lives.
 * Children in tenant namespaces (ServiceAccounts, Roles, Secrets) are not
 * watched at all: the User controller reads them with GETs, and the User
 * informer's resync re-checks every User every 10 minutes. Not watching
 * Secrets cluster-wide keeps the operator from holding list/watch on them.
 */
import {
  type Clock,
  type Controller,
  type EventRecorder,
  JustCreated,
  keyOf,
  type Manager,
  objectKey,
  ownerKeys,
  realClock,
} from '@cnpaas/kube';
import { claimNameOfEmail, claimReleaseReconciler, DEFAULT_CLAIM_GRACE_MS } from './claim-release-controller.js';
import { withCache, type WebshopApi } from './kube-api.js';
import { WebshopMetrics } from './metrics.js';
import {
  CLAIM_LABEL,
  DEFAULT_TEMPLATE,
  PASSWORD_ANNOTATION,
  REGISTRATION_UID_LABEL,
  SYSTEM_NAMESPACE,
  TENANT_FINALIZER,
  TENANT_LABEL,
  USER_FINALIZER,
} from './names.js';
import { changedBeyondOwnWrites } from './own-writes.js';
import { registrationReconciler } from './registration-controller.js';
import { CONFIG_MAPS, EMAIL_TEMPLATES, NAMESPACES, REGISTRATION_REQUESTS, TENANTS, USERS } from './resources.js';
import { templateReconciler } from './template-controller.js';
import { tenantReconciler } from './tenant-controller.js';
import type { ConfigMap, EmailTemplate, Namespace, RegistrationRequest, Tenant, User } from './types.js';
import { userReconciler } from './user-controller.js';

export interface WebshopControllersOptions {
  manager: Manager;
  api: WebshopApi;
  events?: EventRecorder;
  /** The manager's clock (status timestamps, claim ages). Default the real clock. */
  clock?: Clock;
  /** Default cnpaas-system/registration. */
  template?: { namespace: string; name: string };
  /** Where claims live; default cnpaas-system. */
  systemNamespace?: string;
  /** Default 10 min. */
  claimGraceMs?: number;
  /** The operator's own user name as the apiserver knows it (`whoAmI`); default cnpaas-operator. */
  operatorUser?: string;
  /** cnpaas-api-server's client-certificate user, bound instead of its ServiceAccount (see user-controller.ts). */
  apiServerUser?: string;
  /**
   * Keys reconciled at once per controller. Default 10: a reconcile spends nearly all its time waiting
   * on the apiserver, and every registration passes the registration and Tenant controllers in series,
   * so with fewer workers than registrations in flight each one queues behind the others' requests.
   */
  concurrency?: number;
}

export interface WebshopControllers {
  registration: Controller<RegistrationRequest>;
  tenant: Controller<Tenant>;
  user: Controller<User>;
  claims: Controller<ConfigMap>;
  templates: Controller<EmailTemplate>;
  metrics: WebshopMetrics;
}

export function addWebshopControllers(options: WebshopControllersOptions): WebshopControllers {
  const { manager: mgr, events } = options;
  const clock = options.clock ?? realClock;
  const template = options.template ?? DEFAULT_TEMPLATE;
  const systemNamespace = options.systemNamespace ?? SYSTEM_NAMESPACE;
  const concurrency = options.concurrency ?? 10;
  const metrics = new WebshopMetrics({ registry: mgr.metrics.registry });

  const registrations = mgr.informer<RegistrationRequest>(REGISTRATION_REQUESTS);
  const tenants = mgr.informer<Tenant>(TENANTS);
  const users = mgr.informer<User>(USERS);
  const tenantNamespaces = mgr.informer<Namespace>(NAMESPACES, { labelSelector: TENANT_LABEL });
  const templates = mgr.informer<EmailTemplate>(EMAIL_TEMPLATES);
  const claims = mgr.informer<ConfigMap>(CONFIG_MAPS, {
    namespace: systemNamespace,
    labelSelector: `${CLAIM_LABEL}=true`,
  });
  // The kinds watched anyway are read from their informers (a miss still asks the apiserver: kube-api.ts).
  const api: WebshopApi = {
    ...options.api,
    tenants: withCache(options.api.tenants, tenants),
    users: withCache(options.api.users, users),
    namespaces: withCache(
      options.api.namespaces,
      tenantNamespaces,
      (ns) => TENANT_LABEL in (ns.metadata?.labels ?? {}),
    ),
    emailTemplates: withCache(options.api.emailTemplates, templates),
  };

  /** The RR whose UID a child's label names (RRs are few and short-lived: a scan is fine). */
  const registrationOf = (obj: Namespace): string | undefined => {
    const uid = obj.metadata?.labels?.[REGISTRATION_UID_LABEL];
    const rr = uid ? registrations.store.list().find((r) => r.metadata?.uid === uid) : undefined;
    return rr ? keyOf(rr) : undefined;
  };

  const registration = mgr
    .controller<RegistrationRequest>({
      name: 'registration',
      for: registrations,
      concurrency,
      // Its own status writes (waiting, done) need no reconcile: the Namespace's event or the requeue does.
      wakeOnUpdate: changedBeyondOwnWrites(),
      reconciler: registrationReconciler({ api, clock, template, events, metrics }),
    })
    // The Tenant controller made the Namespace: continue at once instead of at the next poll.
    .watches(tenantNamespaces, registrationOf)
    // A template added or fixed: retry the registrations waiting for it.
    .watches(templates, (t) =>
      t.metadata?.namespace === template.namespace && t.metadata.name === template.name
        ? registrations.store.list().map((r) => keyOf(r))
        : undefined,
    );

  const namespacesJustCreated = new JustCreated({ clock });
  const tenant = mgr
    .controller<Tenant>({
      name: 'tenant',
      for: tenants,
      concurrency,
      wakeOnUpdate: changedBeyondOwnWrites({ finalizer: TENANT_FINALIZER }),
      reconciler: tenantReconciler({
        api,
        clock,
        events,
        metrics,
        justCreated: namespacesJustCreated,
        ...(options.operatorUser ? { operatorUser: options.operatorUser } : {}),
      }),
    })
    // As owns(), except for the event of a Namespace the Tenant's own pass is creating (JustCreated):
    // that pass goes on to make the rest, and a second one would only read and write again what it
    // wrote. The store check tells an add or update (cached as it is) from a delete (gone from it).
    .watches(tenantNamespaces, (ns) =>
      tenantNamespaces.store.get(keyOf(ns)) === ns && namespacesJustCreated.take(ns)
        ? undefined
        : ownerKeys(ns, tenants.resource),
    );

  const user = mgr.controller<User>({
    name: 'user',
    for: users,
    concurrency,
    // cnpaas-api-server records verifiedAt, from which the phase follows: that change wakes it.
    wakeOnUpdate: changedBeyondOwnWrites({
      finalizer: USER_FINALIZER,
      consumedAnnotation: PASSWORD_ANNOTATION,
      statusKept: ['verifiedAt'],
    }),
    reconciler: userReconciler({
      api,
      clock,
      events,
      metrics,
      ...(options.apiServerUser ? { apiServerUser: options.apiServerUser } : {}),
    }),
  });

  const templateController = mgr.controller<EmailTemplate>({
    name: 'email-template',
    for: templates,
    reconciler: templateReconciler({ api, clock, events }),
  });

  const claimKey = (email: unknown): string | undefined => {
    const name = claimNameOfEmail(email);
    return name ? objectKey({ namespace: systemNamespace, name }) : undefined;
  };
  const claimController = mgr
    .controller<ConfigMap>({
      name: 'email-claims',
      for: claims,
      reconciler: claimReleaseReconciler({
        api,
        clock,
        graceMs: options.claimGraceMs ?? DEFAULT_CLAIM_GRACE_MS,
        cachedRegistrations: () => registrations.store.list(),
        cachedUsers: () => users.store.list(),
        metrics,
      }),
    })
    // A User or an RR going away may free its address.
    .watches(users, (u) => claimKey(u.spec?.email))
    .watches(registrations, (r) => claimKey(r.spec?.user?.email));

  return { registration, tenant, user, claims: claimController, templates: templateController, metrics };
}
