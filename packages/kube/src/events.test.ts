import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { silentLog } from './testing.js';
import { FakeClock } from './clock.js';
import { EventRecorder, type EventBody } from './events.js';

const user: KubernetesObject = {
  apiVersion: 'example.dev/v1',
  kind: 'User',
  metadata: { name: 'u', namespace: 't-1', uid: 'uid-u', resourceVersion: '7' },
};
const tenant: KubernetesObject = {
  apiVersion: 'example.dev/v1',
  kind: 'Tenant',
  metadata: { name: 't-1', uid: 'uid-t' },
};

function recorder(clock: FakeClock, fail = false) {
  const sent: EventBody[] = [];
  const rec = new EventRecorder({
    sink: {
      create: async (e) => {
        if (fail) throw new Error('forbidden');
        sent.push(e);
      },
    },
    reportingController: 'example.dev/user-controller',
    reportingInstance: 'host-1',
    clock,
    log: silentLog,
  });
  return { rec, sent };
}

describe('EventRecorder', () => {
  it('builds an events.k8s.io/v1 Event with a MicroTime and a reference to the object', async () => {
    const clock = new FakeClock(Date.parse('2025-01-01T00:00:05.123Z'));
    const { rec, sent } = recorder(clock);
    expect(
      await rec.publish({
        regarding: user,
        type: 'Normal',
        reason: 'Created',
        action: 'CreateSecret',
        note: 'password secret created',
      }),
    ).toBe(true);
    expect(sent[0]).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 't-1' },
      eventTime: '2025-01-01T00:00:05.123000Z',
      reportingController: 'example.dev/user-controller',
      reportingInstance: 'host-1',
      type: 'Normal',
      reason: 'Created',
      action: 'CreateSecret',
      regarding: {
        apiVersion: 'example.dev/v1',
        kind: 'User',
        name: 'u',
        namespace: 't-1',
        uid: 'uid-u',
        resourceVersion: '7',
      },
    });
    expect(sent[0]?.metadata.name).toMatch(/^u\.[0-9a-f]+$/);
  });

  it('puts events about cluster-scoped objects in default', async () => {
    const { rec, sent } = recorder(new FakeClock());
    await rec.publish({ regarding: tenant, type: 'Warning', reason: 'NameConflict', action: 'CreateNamespace' });
    expect(sent[0]?.metadata.namespace).toBe('default');
    expect(sent[0]?.regarding.namespace).toBeUndefined();
  });

  it('drops repeats within the window, and sends again after it', async () => {
    const clock = new FakeClock();
    const { rec, sent } = recorder(clock);
    const e = { regarding: user, type: 'Normal' as const, reason: 'Created', action: 'Create' };
    expect(await rec.publish(e)).toBe(true);
    expect(await rec.publish(e)).toBe(false);
    expect(await rec.publish({ ...e, note: 'different' })).toBe(true);
    await clock.advance(5 * 60_000);
    expect(await rec.publish(e)).toBe(true);
    expect(sent).toHaveLength(3);
  });

  it('never throws when the API refuses, and does not suppress the retry', async () => {
    const clock = new FakeClock();
    const failing = recorder(clock, true);
    const e = { regarding: user, type: 'Normal' as const, reason: 'Created', action: 'Create' };
    expect(await failing.rec.publish(e)).toBe(false);
    expect(await failing.rec.publish(e)).toBe(false); // tried again, not deduplicated away
  });

  it('truncates long notes to the API limit', async () => {
    const { rec, sent } = recorder(new FakeClock());
    await rec.publish({ regarding: user, type: 'Normal', reason: 'R', action: 'A', note: 'x'.repeat(5000) });
    expect(sent[0]?.note).toHaveLength(1024);
  });
});
