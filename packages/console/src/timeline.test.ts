import {
  REGISTRATION_CONDITIONS,
  REGISTRATION_EVENTS,
  REGISTRATION_UID_LABEL,
  SENT_CONDITION,
  USER_CONDITIONS,
  WEBSHOP_API_VERSION,
} from '@cnpaas/webshop-api';
import { describe, expect, it } from 'vitest';
import { buildTimeline, type SeenRegistration, type TimelineEvent, type TimelineInput } from './timeline.js';

type RegistrationRequest = SeenRegistration['object'];
type User = TimelineInput['users'][number];
type Email = TimelineInput['emails'][number];

const UID = '92e52ff7-6f92-4a51-8a3e-0123456789ab';
const T = (s: number): string => new Date(Date.UTC(2026, 11, 5, 10, 0, s)).toISOString();
const cond = (type: string, status: 'True' | 'False', reason: string, at: number) => ({
  type,
  status,
  reason,
  message: `${type} ${reason}`,
  lastTransitionTime: T(at),
});

/**
 * A webshop object as the console reads it, created at second `at`. The
 * timeline never reads a spec, so it is empty; creationTimestamp is the
 * string the apiserver sends, not the Date the generated type declares.
 */
function webshop<T>(
  kind: string,
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string> },
  at: number,
  status?: object,
): T {
  const object = {
    apiVersion: WEBSHOP_API_VERSION,
    kind,
    metadata: { ...metadata, creationTimestamp: T(at) },
    spec: {},
  };
  return (status ? { ...object, status } : object) as unknown as T;
}

const labels = { [REGISTRATION_UID_LABEL]: UID };
const tenant = webshop<TimelineInput['tenant']>('Tenant', { name: 't-92e52ff76f92', uid: 'tenant-uid', labels }, 1);
const rr = webshop<RegistrationRequest>('RegistrationRequest', { name: 'ada', uid: UID }, 0, {
  conditions: [
    cond(REGISTRATION_CONDITIONS.tenantCreated, 'True', 'Created', 1),
    cond(REGISTRATION_CONDITIONS.namespaceReady, 'True', 'Exists', 2),
    cond(REGISTRATION_CONDITIONS.userCreated, 'True', 'Created', 3),
    cond(REGISTRATION_CONDITIONS.emailCreated, 'True', 'Created', 4),
  ],
});
const user = webshop<User>('User', { name: 't-92e52ff76f92', namespace: 't-92e52ff76f92', labels }, 3, {
  conditions: [
    cond(USER_CONDITIONS.passwordStored, 'True', 'Stored', 5),
    cond(USER_CONDITIONS.tenantAccess, 'True', 'Granted', 6),
  ],
});
const email = webshop<Email>('Email', { name: 'welcome', namespace: 't-92e52ff76f92', labels }, 4, {
  sentTimestamp: T(7),
  conditions: [cond(SENT_CONDITION, 'True', 'Accepted', 7)],
});
const registered: TimelineEvent = { reason: REGISTRATION_EVENTS.registered, eventTime: T(8), message: 'completed' };
const namespaceCreated: TimelineEvent = { reason: REGISTRATION_EVENTS.namespaceCreated, eventTime: T(2) };

/** The timeline of a registration the console saw through to its deletion at T(9), with `events`. */
const seenThrough = (events: TimelineEvent[]) =>
  buildTimeline({ tenant, registration: { object: rr, deletedAt: T(9) }, users: [user], emails: [email], events });

describe('buildTimeline', () => {
  it('lists the eight steps in order, each with the time and the mark of what recorded it', () => {
    const timeline = seenThrough([registered, namespaceCreated]);
    expect(timeline.sawRequest).toBe(true);
    expect(timeline.registrationUid).toBe(UID);
    expect(timeline.steps.map((s) => [s.id, s.state, s.time, s.mark])).toEqual([
      ['request', 'done', T(0), 'metadata.creationTimestamp'],
      ['tenant', 'done', T(1), 'condition TenantCreated=True (Created)'],
      ['namespace', 'done', T(2), 'condition NamespaceReady=True (Exists)'],
      ['user', 'done', T(3), 'condition UserCreated=True (Created)'],
      ['access', 'done', T(6), 'conditions PasswordStored=True, TenantAccess=True'],
      ['email', 'done', T(4), 'condition EmailCreated=True (Created)'],
      ['sent', 'done', T(7), 'condition Sent=True (Accepted)'],
      // The operator's Event is the record; the console's own sighting is only the fallback.
      ['deleted', 'done', T(8), 'Event Registered'],
    ]);
  });

  it('falls back to creation times and Events for a registration the console never saw', () => {
    const timeline = buildTimeline({ tenant, users: [user], emails: [email], events: [namespaceCreated, registered] });
    expect(timeline.sawRequest).toBe(false);
    const byId = Object.fromEntries(timeline.steps.map((s) => [s.id, s]));
    expect(byId['request']).toMatchObject({ state: 'done', message: expect.stringMatching(/not watching/) });
    expect(byId['request']!.time).toBeUndefined();
    expect(byId['tenant']).toMatchObject({ state: 'done', time: T(1), mark: 'Tenant metadata.creationTimestamp' });
    expect(byId['namespace']).toMatchObject({ state: 'done', time: T(2), mark: 'Event NamespaceCreated' });
    expect(byId['user']).toMatchObject({ state: 'done', time: T(3), mark: 'User metadata.creationTimestamp' });
    expect(byId['deleted']).toMatchObject({ state: 'done', time: T(8), mark: 'Event Registered' });
  });

  it('shows the steps still to come as waiting, with the condition that says why', () => {
    const early: RegistrationRequest = {
      ...rr,
      status: {
        conditions: [
          cond(REGISTRATION_CONDITIONS.tenantCreated, 'True', 'Created', 1),
          cond(REGISTRATION_CONDITIONS.namespaceReady, 'False', 'WaitingForNamespace', 1),
        ],
      },
    };
    const timeline = buildTimeline({ tenant, registration: { object: early }, users: [], emails: [], events: [] });
    expect(timeline.steps.map((s) => [s.id, s.state])).toEqual([
      ['request', 'done'],
      ['tenant', 'done'],
      ['namespace', 'waiting'],
      ['user', 'waiting'],
      ['access', 'waiting'],
      ['email', 'waiting'],
      ['sent', 'waiting'],
      ['deleted', 'waiting'],
    ]);
    expect(timeline.steps[2]).toMatchObject({ mark: 'condition NamespaceReady=False (WaitingForNamespace)' });
  });

  it('marks a refused password and a permanently refused mail as failed', () => {
    const refusedUser: User = {
      ...user,
      status: { conditions: [cond(USER_CONDITIONS.passwordStored, 'False', 'NoPassword', 5)] },
    };
    const rejected: Email = {
      ...email,
      status: {
        errorPermanent: true,
        errorMessage: '550 mailbox unavailable',
        errorTimestamp: T(7),
        conditions: [cond(SENT_CONDITION, 'False', 'Rejected', 7)],
      },
    };
    const timeline = buildTimeline({ tenant, users: [refusedUser], emails: [rejected], events: [] });
    const byId = Object.fromEntries(timeline.steps.map((s) => [s.id, s]));
    expect(byId['access']).toMatchObject({ state: 'failed', mark: 'condition PasswordStored=False (NoPassword)' });
    expect(byId['sent']).toMatchObject({
      state: 'failed',
      time: T(7),
      mark: 'condition Sent=False (Rejected)',
      message: '550 mailbox unavailable',
    });
  });

  it('uses the moment the console saw the RegistrationRequest go when no Event recorded it', () => {
    const timeline = seenThrough([]);
    expect(timeline.steps.at(-1)).toMatchObject({ state: 'done', time: T(9), mark: 'DELETED watch event' });
  });
});
