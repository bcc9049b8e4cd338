/**
 * The RegistrationRequest controller: docs/design.md "The registration flow",
 * step 4, in order.
 *
 *   1. create the Tenant `t-<12 hex of the RR UID>`;
 *   2. wait (a wake-up on the Namespace's event, and a requeue-after as the
 *      fallback) until the Tenant controller has made its Namespace;
 *   3. create the User (carrying the password hash in an annotation) and the
 *      welcome Email rendered from the EmailTemplate;
 *   4. write status.tenant / namespace / user / email;
 *   5. delete the RegistrationRequest (the API server answers the client
 *      from the DELETED event's status).
 *
 * Every child carries the registration-uid label; an object in the way
 * that does not carry ours is never adopted: the RR gets NameConflict=True
 * and waits. Every step is create-or-find-ours, so a crash anywhere and a
 * re-run finish the same registration without duplicates.
 *
 * Where the original demo was wrong (docs/design.md "Origins"): a missing
 * EmailTemplate does not silently skip the welcome mail (the RR waits with
 * Ready=False, TemplateNotFound), names are not the bare UID, and the RR
 * reports progress in conditions instead of an empty status.
 */
import { REGISTRATION_CONDITIONS, REGISTRATION_EVENTS } from '@cnpaas/webshop-api';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type Clock,
  type EventRecorder,
  getCondition,
  isConditionTrue,
  isConflict,
  type Logger,
  type Reconciler,
  type ReconcileResult,
  TerminalError,
} from '@cnpaas/kube';
import { OperatorError } from '../errors.js';
import {
  childLabels,
  describeObject,
  ensureChild,
  type EnsureResult,
  labelledFor,
  reportNameConflict,
} from './children.js';
import { deleteIfPresent, getOrUndefined, type ObjectApi, type WebshopApi } from './kube-api.js';
import type { WebshopMetrics } from './metrics.js';
import {
  PASSWORD_ANNOTATION,
  REGISTRATION_UID_LABEL,
  TENANT_FINALIZER,
  WEBSHOP_API_VERSION,
  registrationNames,
  type RegistrationNames,
} from './names.js';
import { READY, StatusUpdate } from './status.js';
import type { RegistrationRequest, Tenant, User } from './types.js';
import { welcomeEmail } from './welcome-email.js';
import { liveObjectReconciler, type ObjectStep } from './live-object.js';

export { REGISTRATION_CONDITIONS } from '@cnpaas/webshop-api';

export interface RegistrationControllerOptions {
  api: WebshopApi;
  clock: Clock;
  /** Where the welcome template lives; default cnpaas-system/registration. */
  template: { namespace: string; name: string };
  events?: EventRecorder;
  metrics?: WebshopMetrics;
  /** How often to look for the Tenant's Namespace while waiting. Default 2 s (its creation also wakes us). */
  namespacePollMs?: number;
  /** How soon to look again for a missing or broken template. Default 30 s (a template change also wakes us). */
  templateRetryMs?: number;
}

type Rr = RegistrationRequest & { spec: NonNullable<RegistrationRequest['spec']> };

export function registrationReconciler(options: RegistrationControllerOptions): Reconciler<RegistrationRequest> {
  // Gone (we deleted it: done) or being deleted by someone else: nothing to do.
  return liveObjectReconciler(options, { apply: reconcileRegistration });
}

const reconcileRegistration: ObjectStep<RegistrationControllerOptions, RegistrationRequest> = async (
  options,
  rr,
  log,
) => {
  const { api } = options;
  const names = registrationNames(rr.metadata?.uid);
  const status = new StatusUpdate(rr, { api: api.registrationRequests, clock: options.clock });
  const spec = rr.spec;
  if (!spec?.user || !spec.tenant || !spec.password) {
    status.condition(READY, 'False', 'InvalidSpec', 'spec.user, spec.tenant and spec.password are all required');
    await status.write();
    throw new TerminalError(`RegistrationRequest ${names.uid} has an incomplete spec`);
  }
  const request = rr as Rr;
  // Completed at this generation: the pass that wrote it found every child, and all that is left is the
  // delete. Typically this is the wake-up by our own status write, on a copy the informer still holds
  // while the RR's DELETED event is on its way (the delete then answers 404 and nothing happens).
  const ready = getCondition(rr.status?.conditions, READY);
  if (ready?.status === 'True' && ready.reason === 'Completed' && ready.observedGeneration === rr.metadata?.generation)
    return finish({ options, rr, names, log });

  const step: PartStep = { options, rr, status, log, names };

  // 1. The Tenant.
  const tenant = await ensurePart(step, {
    api: api.tenants,
    desired: desiredTenant(request, names),
    condition: REGISTRATION_CONDITIONS.tenantCreated,
  });
  if (tenant.outcome === 'conflict') return nameConflict(step, tenant.object);

  // 2. Its Namespace, made by the Tenant controller. A Tenant created just now has none yet (unless the
  // Tenant controller was quicker, which the cache shows): the Namespace's event wakes us when it comes,
  // typically within a few hundred milliseconds, and the poll below is the fallback. Saying that we wait
  // would cost every registration a status write for a wait that is over before anyone reads it, so the
  // pass that created the Tenant says nothing; a later pass that still finds no Namespace does. Without
  // a cache (tests) nothing can show the Namespace without a GET: always read, and report the wait.
  const poll = { requeueAfterMs: options.namespacePollMs ?? 2_000 };
  const justCreated = tenant.outcome === 'created' && api.namespaces.cache !== undefined;
  const namespace = justCreated
    ? api.namespaces.cache?.get({ name: names.namespace })
    : await getOrUndefined(api.namespaces, { name: names.namespace });
  if (namespace && !labelledFor(names.uid)(namespace)) return nameConflict(step, namespace);
  if (!namespace && justCreated) return poll;
  if (!namespace || namespace.metadata?.deletionTimestamp) {
    const why = namespace
      ? `Namespace ${names.namespace} is being deleted`
      : `waiting for the Tenant controller to create Namespace ${names.namespace}`;
    status.condition(REGISTRATION_CONDITIONS.namespaceReady, 'False', 'WaitingForNamespace', why);
    status.condition(READY, 'False', 'WaitingForNamespace', why);
    await status.write();
    return poll;
  }
  status.condition(REGISTRATION_CONDITIONS.namespaceReady, 'True', 'Exists', `Namespace ${names.namespace} exists`);

  // 3a. The User, carrying the hash for the User controller to move into a Secret.
  const user = await ensurePart(step, {
    api: api.users,
    desired: desiredUser(request, names),
    condition: REGISTRATION_CONDITIONS.userCreated,
  });
  if (user.outcome === 'conflict') return nameConflict(step, user.object);

  // 3b. The welcome Email, from the EmailTemplate.
  const templateRef = options.template;
  const template = await getOrUndefined(api.emailTemplates, templateRef);
  const templateName = `EmailTemplate ${templateRef.namespace}/${templateRef.name}`;
  if (!template?.spec?.body || !template.spec.subject) {
    const why = template
      ? `${templateName} has no subject or body`
      : `${templateName} does not exist; apply packages/operator/manifests/email-template-registration.yaml`;
    return templateProblem(step, template ? 'TemplateInvalid' : 'TemplateNotFound', why);
  }
  let desiredEmail;
  try {
    desiredEmail = welcomeEmail({
      template,
      user: user.object,
      tenant: request.spec.tenant,
      emailName: names.email,
      registrationUid: names.uid,
    });
  } catch (err) {
    if (!(err instanceof OperatorError) || err.code !== 'CNPAAS_OPERATOR_TEMPLATE') throw err;
    return templateProblem(step, 'TemplateInvalid', err.message);
  }
  const email = await ensurePart(step, {
    api: api.emails,
    desired: desiredEmail,
    condition: REGISTRATION_CONDITIONS.emailCreated,
    // Emails are not watched: without the condition, the Email is most likely still to be made.
    unrecorded: 'absent',
  });
  if (email.outcome === 'conflict') return nameConflict(step, email.object);

  // 4. The answer the API server reads from the DELETED event.
  status
    .field('tenant', names.tenant)
    .field('namespace', names.namespace)
    .field('user', names.user)
    .field('email', names.email)
    .clearConflict()
    .condition(READY, 'True', 'Completed', 'tenant, namespace, user and welcome email exist');
  if (!(await status.write())) return;
  await finish({ options, rr, names, log, tenant: tenant.object });
};

/** 5. Done: the RR goes. The UID precondition spares a new RR that reused the name meanwhile. */
async function finish(step: {
  options: RegistrationControllerOptions;
  rr: RegistrationRequest;
  names: RegistrationNames;
  log: Logger;
  tenant?: Tenant;
}): Promise<void> {
  const { options, rr, names, log } = step;
  const deleted = await deleteIfPresent(
    options.api.registrationRequests,
    { name: rr.metadata?.name ?? '' },
    { preconditions: { uid: names.uid } },
  ).catch(ignoreConflict);
  if (!deleted) return;
  options.metrics?.registrationsCompleted.inc();
  if (options.events) {
    // The event is about the Tenant; a delete retried after the pass that saw it reads it (a cache hit, mostly).
    const tenant = step.tenant ?? (await getOrUndefined(options.api.tenants, { name: names.tenant }));
    void options.events.publish({
      regarding: tenant ?? rr,
      type: 'Normal',
      reason: REGISTRATION_EVENTS.registered,
      action: 'CompleteRegistration',
      note: `registration ${names.uid} completed`,
    });
  }
  log.info({ tenant: names.tenant, user: `${names.namespace}/${names.user}` }, 'registration completed');
}

/** 409 on a delete with a UID precondition: the name now belongs to another RR, ours is gone. */
function ignoreConflict(err: unknown): false {
  if (isConflict(err)) return false;
  throw err;
}

export function desiredTenant(rr: Rr, names: RegistrationNames): Tenant {
  return {
    apiVersion: WEBSHOP_API_VERSION,
    kind: 'Tenant',
    metadata: {
      name: names.tenant,
      labels: childLabels(names.uid),
      // The Tenant controller's finalizer from the start: it would otherwise add it with a patch of its
      // own before making the Namespace, one more write and round trip on the way to the answer.
      finalizers: [TENANT_FINALIZER],
    },
    spec: structuredClone(rr.spec.tenant),
  };
}

export function desiredUser(rr: Rr, names: RegistrationNames): User {
  return {
    apiVersion: WEBSHOP_API_VERSION,
    kind: 'User',
    metadata: {
      name: names.user,
      namespace: names.namespace,
      labels: childLabels(names.uid),
      annotations: { [PASSWORD_ANNOTATION]: rr.spec.password },
    },
    spec: structuredClone(rr.spec.user),
  };
}

interface Step {
  options: RegistrationControllerOptions;
  rr: RegistrationRequest;
  status: StatusUpdate<RegistrationRequest>;
  log: Logger;
}

function nameConflict(
  step: Step,
  obj: { kind?: string; metadata?: { name?: string; namespace?: string } },
): Promise<ReconcileResult> {
  const { options, status, log } = step;
  return reportNameConflict(obj, {
    options,
    status,
    log,
    expected: `part of this registration (its ${REGISTRATION_UID_LABEL} label differs)`,
    action: 'CreateChild',
  });
}

async function templateProblem(
  step: Step,
  reason: 'TemplateNotFound' | 'TemplateInvalid',
  message: string,
): Promise<ReconcileResult> {
  const { options, rr, status, log } = step;
  status
    .condition(REGISTRATION_CONDITIONS.emailCreated, 'False', reason, message)
    .condition(READY, 'False', reason, message);
  if (status.changed) {
    void options.events?.publish({
      regarding: rr,
      type: 'Warning',
      reason,
      action: 'RenderWelcomeEmail',
      note: message,
    });
    log.warn({ reason }, 'welcome email template problem');
  }
  await status.write();
  return { requeueAfterMs: options.templateRetryMs ?? 30_000 };
}

interface PartStep extends Step {
  names: RegistrationNames;
}

/**
 * One child of the registration (its Tenant, User or Email): created, or found carrying this
 * registration's label; once it is, `condition` says it exists. A child the status records as made
 * (`condition` True) is read (cache, else GET), never created again: under load the informer often
 * lags behind our own create, and a create that fails costs two requests. `unrecorded` is the guess
 * for one it does not record.
 */
async function ensurePart<T extends KubernetesObject>(
  step: PartStep,
  part: { api: ObjectApi<T>; desired: T; condition: string; unrecorded?: 'absent' },
): Promise<EnsureResult<T>> {
  const { rr, status, names } = step;
  const made = isConditionTrue(rr.status?.conditions, part.condition);
  const result = await ensureChild<T>({
    api: part.api,
    desired: part.desired,
    isOurs: labelledFor(names.uid),
    expect: made ? 'present' : part.unrecorded,
  });
  if (result.outcome !== 'conflict')
    status.condition(part.condition, 'True', 'Created', `${describeObject(part.desired)} exists`);
  return result;
}
