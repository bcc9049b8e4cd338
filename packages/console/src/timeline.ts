/**
 * One registration's timeline: each step the request goes through, when it
 * happened, and what marked it (a condition's transition, an object's
 * creation, an Event, a status field). Built only from what Kubernetes
 * keeps, so any console can draw it for any registration:
 *
 *   1. RegistrationRequest created   its creationTimestamp (while the console saw it)
 *   2. Tenant created                the RR's TenantCreated condition, else the Tenant's creation
 *   3. Namespace ready               the RR's NamespaceReady condition, else the Tenant's NamespaceCreated Event
 *   4. User created                  the RR's UserCreated condition, else the User's creation
 *   5. Access and password stored    the User's PasswordStored and TenantAccess conditions (ServiceAccount,
 *                                    Role, RoleBinding, password Secret)
 *   6. Welcome Email created         the RR's EmailCreated condition, else the Email's creation
 *   7. Welcome mail sent             the Email's Sent condition / status.sentTimestamp
 *   8. RegistrationRequest deleted   the Tenant's Registered Event, else when the console saw it go
 *
 * A RegistrationRequest lives for about a second; its conditions are the
 * best marks, so the console remembers the last state it saw of each one
 * (registration-history.ts). Without it (a registration older than the
 * console) each step falls back to what the children and Events say.
 *
 * Pure: no I/O, no clock; the tests drive it with objects.
 */
import type { Condition } from '@cnpaas/kube';
import {
  REGISTRATION_CONDITIONS,
  REGISTRATION_EVENTS,
  SENT_CONDITION,
  USER_CONDITIONS,
  type Email,
  type RegistrationRequest,
  type Tenant,
  type User,
} from '@cnpaas/webshop-api';

export type StepState = 'done' | 'waiting' | 'failed';

export interface TimelineStep {
  id: 'request' | 'tenant' | 'namespace' | 'user' | 'access' | 'email' | 'sent' | 'deleted';
  title: string;
  state: StepState;
  /** RFC 3339, when the step happened; absent while waiting or when nothing recorded it. */
  time?: string;
  /** What marked it, e.g. "condition TenantCreated=True (Created)" or "Event Registered". */
  mark?: string;
  /** The condition's or Event's message, as written. */
  message?: string;
}

/** A core/v1 Event as the console reads it (events.k8s.io writes show up here too). */
export interface TimelineEvent {
  reason?: string;
  message?: string;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  metadata?: { creationTimestamp?: string | Date };
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

/** The last state the console saw of a RegistrationRequest, and when it saw it deleted. */
export interface SeenRegistration {
  object: RegistrationRequest;
  deletedAt?: string;
}

export interface TimelineInput {
  tenant: Tenant;
  registration?: SeenRegistration | undefined;
  /** The Users and Emails in the tenant's namespace that belong to this registration. */
  users: readonly User[];
  emails: readonly Email[];
  /** Events about the Tenant and its Users. */
  events: readonly TimelineEvent[];
}

export interface Timeline {
  tenant: string;
  registrationUid?: string;
  /** Whether the RR's own conditions were seen (else the marks fall back to children and Events). */
  sawRequest: boolean;
  steps: TimelineStep[];
}

type Conditions = readonly Condition[] | undefined;

export function buildTimeline(input: TimelineInput): Timeline {
  const { tenant, registration, users, emails, events } = input;
  const rr = registration?.object;
  const rrConditions = rr?.status?.conditions as Conditions;
  const user = users[0];
  const email = emails[0];
  const userConditions = user?.status?.conditions as Conditions;
  const emailConditions = email?.status?.conditions as Conditions;
  const event = (reason: string): TimelineEvent | undefined => events.find((e) => e.reason === reason);

  const steps: TimelineStep[] = [
    rr
      ? done(
          'request',
          'RegistrationRequest created',
          time(rr.metadata?.creationTimestamp),
          'metadata.creationTimestamp',
        )
      : {
          id: 'request',
          title: 'RegistrationRequest created',
          state: 'done',
          message: 'the console was not watching when this registration was made',
        },
    fromCondition({
      id: 'tenant',
      title: 'Tenant created',
      condition: find(rrConditions, REGISTRATION_CONDITIONS.tenantCreated),
      fallback: created(tenant),
    }),
    fromCondition({
      id: 'namespace',
      title: 'Namespace ready',
      condition: find(rrConditions, REGISTRATION_CONDITIONS.namespaceReady),
      fallback: fromEvent(event(REGISTRATION_EVENTS.namespaceCreated)),
    }),
    fromCondition({
      id: 'user',
      title: 'User created',
      condition: find(rrConditions, REGISTRATION_CONDITIONS.userCreated),
      fallback: created(user),
    }),
    accessStep(userConditions),
    fromCondition({
      id: 'email',
      title: 'Welcome Email created',
      condition: find(rrConditions, REGISTRATION_CONDITIONS.emailCreated),
      fallback: created(email),
    }),
    sentStep(email, find(emailConditions, SENT_CONDITION)),
    deletedStep(registration, fromEvent(event(REGISTRATION_EVENTS.registered))),
  ];
  return {
    tenant: tenant.metadata?.name ?? '',
    ...(rr?.metadata?.uid ? { registrationUid: rr.metadata.uid } : {}),
    sawRequest: rr !== undefined,
    steps,
  };
}

interface Mark {
  time?: string | undefined;
  mark: string;
  message?: string | undefined;
}

function find(conditions: Conditions, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

function time(value: string | Date | undefined | null): string | undefined {
  if (value === undefined || value === null) return undefined;
  return value instanceof Date ? value.toISOString() : value;
}

function done(id: TimelineStep['id'], title: string, at: string | undefined, mark: string): TimelineStep {
  return { id, title, state: 'done', ...(at ? { time: at } : {}), mark };
}

function created(
  obj: { kind?: string; metadata?: { creationTimestamp?: string | Date } } | undefined,
): Mark | undefined {
  if (!obj) return undefined;
  return { time: time(obj.metadata?.creationTimestamp), mark: `${obj.kind ?? 'object'} metadata.creationTimestamp` };
}

function fromEvent(e: TimelineEvent | undefined): Mark | undefined {
  if (!e) return undefined;
  return {
    time: time(e.eventTime) ?? time(e.firstTimestamp) ?? time(e.metadata?.creationTimestamp),
    mark: `Event ${e.reason ?? ''}`.trim(),
    message: e.message,
  };
}

function conditionMark(c: Condition): Mark {
  return { time: c.lastTransitionTime, mark: `condition ${c.type}=${c.status} (${c.reason})`, message: c.message };
}

function step(id: TimelineStep['id'], title: string, state: StepState, mark?: Mark): TimelineStep {
  return {
    id,
    title,
    state,
    ...(mark?.time ? { time: mark.time } : {}),
    ...(mark ? { mark: mark.mark } : {}),
    ...(mark?.message ? { message: mark.message } : {}),
  };
}

/** A True condition marks the step; a False one says why it waits; without either, the fallback decides. */
function fromCondition(options: {
  id: TimelineStep['id'];
  title: string;
  condition: Condition | undefined;
  fallback: Mark | undefined;
}): TimelineStep {
  const { id, title, condition, fallback } = options;
  if (condition?.status === 'True') return step(id, title, 'done', conditionMark(condition));
  if (fallback) return step(id, title, 'done', fallback);
  return step(id, title, 'waiting', condition ? conditionMark(condition) : undefined);
}

/** ServiceAccount, Role, RoleBinding and the password Secret: done when both User conditions are True. */
function accessStep(conditions: Conditions): TimelineStep {
  const title = 'ServiceAccount, Role, RoleBinding and password Secret';
  const stored = find(conditions, USER_CONDITIONS.passwordStored);
  const access = find(conditions, USER_CONDITIONS.tenantAccess);
  const pending = [stored, access].find((c) => c?.status !== 'True');
  if (pending === undefined && stored && access) {
    const last = stored.lastTransitionTime > access.lastTransitionTime ? stored : access;
    return step('access', title, 'done', {
      time: last.lastTransitionTime,
      mark: `conditions ${stored.type}=True, ${access.type}=True`,
      message: [stored.message, access.message].filter(Boolean).join('; '),
    });
  }
  // PasswordStored is never False on the way: False means no acceptable hash came, so the step failed.
  const failed = stored?.status === 'False';
  return step('access', title, failed ? 'failed' : 'waiting', pending ? conditionMark(pending) : undefined);
}

function sentStep(email: Email | undefined, sent: Condition | undefined): TimelineStep {
  const title = 'Welcome mail sent';
  const sentAt = email?.status?.sentTimestamp;
  if (sentAt) {
    return step('sent', title, 'done', {
      time: sentAt,
      mark: sent?.status === 'True' ? `condition ${sent.type}=True (${sent.reason})` : 'status.sentTimestamp',
      message: sent?.message,
    });
  }
  if (email?.status?.errorPermanent) {
    return step('sent', title, 'failed', {
      time: email.status.errorTimestamp,
      mark: sent ? `condition ${sent.type}=False (${sent.reason})` : 'status.errorMessage',
      message: email.status.errorMessage,
    });
  }
  return step('sent', title, 'waiting', sent ? conditionMark(sent) : undefined);
}

function deletedStep(registration: SeenRegistration | undefined, registered: Mark | undefined): TimelineStep {
  const title = 'RegistrationRequest deleted';
  if (registered) return step('deleted', title, 'done', registered);
  if (registration?.deletedAt) {
    return step('deleted', title, 'done', { time: registration.deletedAt, mark: 'DELETED watch event' });
  }
  return step('deleted', title, 'waiting');
}
