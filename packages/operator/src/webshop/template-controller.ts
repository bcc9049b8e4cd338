/**
 * The EmailTemplate controller: checks every template the moment it is
 * written, so a typo shows on the template itself (`kubectl get
 * emailtemplates`, the Valid column) rather than only on the next
 * registration that tries to use it.
 *
 * A template is Valid when its subject and body render against a sample
 * registration that offers every placeholder a real one does
 * (welcome-email.ts). The registration controller still renders for real
 * and stops with TemplateInvalid on its own: this status is a report, not a
 * gate, so a stale Valid=True can never let a broken mail through.
 *
 * Valid=False reasons: RenderFailed (each problem with line and column) and
 * TooLarge (subject or body over MAX_TEMPLATE_BYTES, 64 KiB, not rendered).
 * Valid=True also says whether the body goes out as HTML or text, the
 * decision every Email made from the template carries in spec.format.
 */
import { VALID_CONDITION as VALID } from '@cnpaas/webshop-api';
import type { Clock, EventRecorder, Reconciler } from '@cnpaas/kube';
import type { WebshopApi } from './kube-api.js';
import { StatusUpdate } from './status.js';
import type { EmailTemplate } from './types.js';
import { TEMPLATE_PLACEHOLDERS, checkTemplate } from './welcome-email.js';
import { liveObjectReconciler } from './live-object.js';

export { VALID_CONDITION as VALID } from '@cnpaas/webshop-api';

export interface TemplateControllerOptions {
  api: WebshopApi;
  clock: Clock;
  events?: EventRecorder;
}

export function templateReconciler(options: TemplateControllerOptions): Reconciler<EmailTemplate> {
  return liveObjectReconciler(options, {
    apply: async (_options, object, log) => {
      const check = checkTemplate(object);
      const status = new StatusUpdate(object, { api: options.api.emailTemplates, clock: options.clock });
      if (check.ok) {
        status.condition(
          VALID,
          'True',
          'Renders',
          `subject and body render with every placeholder of a registration; the body is sent as ${check.format === 'html' ? 'HTML, with every value HTML-escaped' : 'plain text'}`,
        );
      } else {
        const message = `${check.problems.join('; ')}${check.reason === 'RenderFailed' ? `. Placeholders available: ${TEMPLATE_PLACEHOLDERS.join(', ')}` : ''}`;
        status.condition(VALID, 'False', check.reason, message);
        if (status.changed) {
          void options.events?.publish({
            regarding: object,
            type: 'Warning',
            reason: check.reason,
            action: 'ValidateTemplate',
            note: message,
          });
          log.warn({ problems: check.problems.length, reason: check.reason }, 'EmailTemplate does not render');
        }
      }
      await status.write();
    },
  });
}
