/**
 * The EmailTemplate reconciler on a real kube-apiserver on cnpaas-store
 * (@cnpaas/platform/testing), as the operator's own identity under its RBAC:
 * the Valid condition and observedGeneration as the status subresource stores
 * them, the generation the apiserver moves on a spec change, and the Warning
 * events as the apiserver stores them. The reconciler's FakeClock stamps the
 * condition times, so the distance between two transitions is exact.
 *
 * One control plane for the file; each test has its own template name.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { EVENTS_RESOURCE, type EventBody, EventRecorder, FakeClock, kubeEventSink, ResourceClient } from '@cnpaas/kube';
import { silentLog } from '@cnpaas/kube/testing';
import { describe, expect, it, vi } from 'vitest';
import { recorded, reconcileOnce, useOperatorControlPlane } from './live-test-support.js';
import { OPERATOR_NAME, SYSTEM_NAMESPACE } from './names.js';
import { VALID, templateReconciler } from './template-controller.js';
import { registrationTemplate } from './test-support.js';
import type { EmailTemplate } from './types.js';

const env = useOperatorControlPlane();

type StoredEvent = KubernetesObject & Partial<EventBody>;

async function setup(name: string, template: EmailTemplate) {
  const ref = { namespace: SYSTEM_NAMESPACE, name };
  template.metadata = { ...template.metadata, ...ref };
  const created = await env.admin.emailTemplates.create(template);
  const clock = new FakeClock(Date.now());
  const kubeSink = kubeEventSink(env.operatorKc);
  /** What the recorder sent (synchronously, as publish starts); `stored()` reads what the apiserver keeps. */
  const sent: EventBody[] = [];
  const recorder = new EventRecorder({
    sink: {
      create: (e) => {
        sent.push(e);
        return kubeSink.create(e);
      },
    },
    reportingController: `test/${OPERATOR_NAME}`,
    reportingInstance: 'test',
    clock,
    log: silentLog,
    dedupeWindowMs: 0,
  });
  const { api, writes } = recorded(env.operator);
  const reconciler = templateReconciler({ api, clock, events: recorder });
  const reconcile = async (): Promise<EmailTemplate> => {
    await reconcileOnce(reconciler, env.admin.emailTemplates, ref);
    return env.admin.emailTemplates.get(ref);
  };
  const events = new ResourceClient<StoredEvent>(env.cp.kubeConfig, EVENTS_RESOURCE, { namespace: SYSTEM_NAMESPACE });
  const stored = async (): Promise<StoredEvent[]> =>
    (await events.list()).items.filter((e) => e.regarding?.uid === created.metadata?.uid);
  return { ref, clock, sent, stored, writes, reconcile };
}

const valid = (t: EmailTemplate) => t.status?.conditions?.find((c) => c.type === VALID);
const template = (body?: string) => registrationTemplate(body) as EmailTemplate;

describe('EmailTemplate reconciler (live)', () => {
  it('marks a template that renders Valid=True for its generation, and writes nothing more when nothing changed', async () => {
    const s = await setup('tpl-renders', template());
    const checked = await s.reconcile();
    expect(valid(checked)).toMatchObject({ status: 'True', reason: 'Renders', observedGeneration: 1 });
    expect(checked.status?.observedGeneration).toBe(1);
    expect(s.writes).toEqual([`status emailtemplates ${SYSTEM_NAMESPACE}/tpl-renders`]);

    const again = await s.reconcile();
    expect(s.writes).toHaveLength(1);
    expect(again.metadata?.resourceVersion).toBe(checked.metadata?.resourceVersion);
    expect(s.sent).toEqual([]);
  });

  it('names every problem of subject and body with its line and column, and records one Warning', async () => {
    const broken = template('Hello {{ .spec.firstName }},\nyour company: {{ .tenant.company }}\n{{ .spec.lastName');
    broken.spec!.subject = 'Hi {{ .spec.fristName }}';
    const s = await setup('tpl-broken', broken);
    const condition = valid(await s.reconcile())!;
    expect(condition).toMatchObject({ status: 'False', reason: 'RenderFailed' });
    expect(condition.message).toContain('spec.subject: line 1, column 4: {{ .spec.fristName }} unknown placeholder');
    expect(condition.message).toContain('spec.body: line 2, column 15: {{ .tenant.company }} unknown placeholder');
    expect(condition.message).toContain('line 3, column 1: "{{" is not closed by "}}"');
    expect(condition.message).toMatch(
      /Placeholders available: \.metadata\.name, .*\.spec\.firstName, .*\.tenant\.taxNumber, \.verificationUrl$/,
    );
    // The Event as the apiserver stores it, written with the operator's identity.
    await vi.waitFor(async () => {
      expect(await s.stored()).toEqual([
        expect.objectContaining({
          type: 'Warning',
          reason: 'RenderFailed',
          action: 'ValidateTemplate',
          note: condition.message,
          reportingController: `test/${OPERATOR_NAME}`,
        }),
      ]);
    });

    // Unchanged: no status write and no second event (the recorder would send it: no dedupe window).
    await s.reconcile();
    expect(s.sent).toHaveLength(1);
    expect(await s.stored()).toHaveLength(1);
  });

  it('turns Valid=True when the template is fixed, moving lastTransitionTime and observedGeneration', async () => {
    const s = await setup('tpl-fixed', template('Hello {{ .spec.nickname }}'));
    const failed = valid(await s.reconcile())!;
    expect(failed.status).toBe('False');

    await s.clock.advance(60_000);
    // The apiserver moves the generation on a spec change.
    await env.admin.emailTemplates.mergePatch(s.ref, {
      spec: { body: 'Hello {{ .spec.firstName }} from {{ .tenant.city }}' },
    });
    const fixed = await s.reconcile();
    expect(fixed.metadata?.generation).toBe(2);
    expect(valid(fixed)).toMatchObject({ status: 'True', observedGeneration: 2 });
    expect(Date.parse(valid(fixed)!.lastTransitionTime) - Date.parse(failed.lastTransitionTime)).toBe(60_000);
    expect(fixed.status?.observedGeneration).toBe(2);
  });

  it('accepts every placeholder the welcome Email offers, in an HTML body too', async () => {
    const all = [
      '.metadata.name',
      '.metadata.namespace',
      '.spec.firstName',
      '.spec.lastName',
      '.spec.email',
      '.spec.phoneNumber',
      '.tenant.companyName',
      '.tenant.country',
      '.tenant.city',
      '.tenant.address',
      '.tenant.postalCode',
      '.tenant.taxNumber',
      '.verificationUrl',
    ]
      .map((p) => `{{ ${p} }}`)
      .join(' ');
    const s = await setup('tpl-all', template(`<p>${all}</p>`));
    expect(valid(await s.reconcile())).toMatchObject({ status: 'True', reason: 'Renders' });
  });

  it('says TooLarge, without rendering, for a body over 64 KiB, and which format a valid body is sent in', async () => {
    // Over the renderer's 64 KiB, under the 256 KiB the CRD's schema lets the apiserver store.
    const huge = await setup('tpl-huge', template('{{ .spec.firstName }} '.repeat(4_000)));
    const condition = valid(await huge.reconcile())!;
    expect(condition).toMatchObject({ status: 'False', reason: 'TooLarge' });
    expect(condition.message).toBe(
      `spec.body is ${22 * 4_000} bytes, more than the 65536 bytes (64 KiB) a template may have; shorten it`,
    );
    expect(huge.sent.map((e) => [e.type, e.reason])).toEqual([['Warning', 'TooLarge']]);

    const html = await setup('tpl-html', template('<p>Hi {{ .spec.firstName }}</p>'));
    expect(valid(await html.reconcile())!.message).toContain('sent as HTML, with every value HTML-escaped');
    const text = await setup('tpl-text', template('{{ .spec.firstName }}, hello'));
    expect(valid(await text.reconcile())!.message).toContain('sent as plain text');
  });
});
