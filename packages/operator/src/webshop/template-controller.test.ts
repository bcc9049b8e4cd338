import { describe, expect, it } from 'vitest';
import { type EventBody, EventRecorder, FakeClock, keyOf } from '@cnpaas/kube';
import { silentLog } from '@cnpaas/kube/testing';
import * as R from './resources.js';
import { VALID, templateReconciler } from './template-controller.js';
import { FakeCluster, registrationTemplate } from './test-support.js';
import type { EmailTemplate } from './types.js';

const REF = { namespace: 'cnpaas-system', name: 'registration' };

function setup(template: EmailTemplate) {
  const clock = new FakeClock();
  const cluster = new FakeCluster(clock);
  cluster.seed(R.NAMESPACES, { metadata: { name: 'cnpaas-system' } });
  cluster.seed(R.EMAIL_TEMPLATES, template);
  const events: EventBody[] = [];
  const recorder = new EventRecorder({
    sink: { create: async (e) => void events.push(e) },
    reportingController: 'test',
    reportingInstance: 'test',
    clock,
    log: silentLog,
    dedupeWindowMs: 0,
  });
  const reconciler = templateReconciler({ api: cluster.webshopApi(), clock, events: recorder });
  const reconcile = async () => {
    const object = cluster.find<EmailTemplate>(R.EMAIL_TEMPLATES, REF);
    await reconciler.reconcile(keyOf(object!), {
      key: keyOf(object!),
      object,
      signal: new AbortController().signal,
      log: silentLog,
      retries: 0,
    });
    return cluster.find<EmailTemplate>(R.EMAIL_TEMPLATES, REF)!;
  };
  return { clock, cluster, events, reconcile };
}

const valid = (t: EmailTemplate) => t.status?.conditions?.find((c) => c.type === VALID);

describe('EmailTemplate reconciler', () => {
  it('marks a template that renders Valid=True for its generation, and writes nothing more when nothing changed', async () => {
    const s = setup(registrationTemplate());
    const checked = await s.reconcile();
    expect(valid(checked)).toMatchObject({ status: 'True', reason: 'Renders', observedGeneration: 1 });
    expect(checked.status?.observedGeneration).toBe(1);

    const writes = s.cluster.writes.length;
    await s.reconcile();
    expect(s.cluster.writes.length).toBe(writes);
    expect(s.events).toEqual([]);
  });

  it('names every problem of subject and body with its line and column, and sends one Warning', async () => {
    const broken = registrationTemplate(
      'Hello {{ .spec.firstName }},\nyour company: {{ .tenant.company }}\n{{ .spec.lastName',
    );
    (broken as { spec: { subject: string } }).spec.subject = 'Hi {{ .spec.fristName }}';
    const s = setup(broken);
    const condition = valid(await s.reconcile())!;
    expect(condition).toMatchObject({ status: 'False', reason: 'RenderFailed' });
    expect(condition.message).toContain('spec.subject: line 1, column 4: {{ .spec.fristName }} unknown placeholder');
    expect(condition.message).toContain('spec.body: line 2, column 15: {{ .tenant.company }} unknown placeholder');
    expect(condition.message).toContain('line 3, column 1: "{{" is not closed by "}}"');
    expect(condition.message).toMatch(
      /Placeholders available: \.metadata\.name, .*\.spec\.firstName, .*\.tenant\.taxNumber, \.verificationUrl$/,
    );
    expect(s.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'RenderFailed']]);

    await s.reconcile();
    expect(s.events).toHaveLength(1);
  });

  it('turns Valid=True when the template is fixed, moving lastTransitionTime and observedGeneration', async () => {
    const s = setup(registrationTemplate('Hello {{ .spec.nickname }}'));
    const failed = valid(await s.reconcile())!;
    expect(failed.status).toBe('False');

    await s.clock.advance(60_000);
    const api = s.cluster.webshopApi().emailTemplates;
    await api.mergePatch(REF, { spec: { body: 'Hello {{ .spec.firstName }} from {{ .tenant.city }}' } });
    const fixed = await s.reconcile();
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
    ]
      .concat([
        '.tenant.companyName',
        '.tenant.country',
        '.tenant.city',
        '.tenant.address',
        '.tenant.postalCode',
        '.tenant.taxNumber',
        '.verificationUrl',
      ])
      .map((p) => `{{ ${p} }}`)
      .join(' ');
    const s = setup(registrationTemplate(`<p>${all}</p>`));
    expect(valid(await s.reconcile())).toMatchObject({ status: 'True', reason: 'Renders' });
  });

  it('says TooLarge, without rendering, for a body over 64 KiB, and which format a valid body is sent in', async () => {
    const huge = setup(registrationTemplate('{{ .spec.firstName }} '.repeat(16_000)));
    const condition = valid(await huge.reconcile())!;
    expect(condition).toMatchObject({ status: 'False', reason: 'TooLarge' });
    expect(condition.message).toBe(
      `spec.body is ${22 * 16_000} bytes, more than the 65536 bytes (64 KiB) a template may have; shorten it`,
    );
    expect(huge.events.map((e) => [e.type, e.reason])).toEqual([['Warning', 'TooLarge']]);

    expect(valid(await setup(registrationTemplate('<p>Hi {{ .spec.firstName }}</p>')).reconcile())!.message).toContain(
      'sent as HTML, with every value HTML-escaped',
    );
    expect(valid(await setup(registrationTemplate('{{ .spec.firstName }}, hello')).reconcile())!.message).toContain(
      'sent as plain text',
    );
  });
});
