/**
 * Sign up: the registration form. The server forwards it to the
 * registrations API; a refusal comes back as messages per field (in the
 * server's words) and messages for the whole form, shown at the top. Success
 * shows what the registration made.
 */
import { Unauthorized, call, getJson } from './api.js';
import { append, clear, el, showView } from './dom.js';
import { FIELD_GROUPS, fieldId, type FieldSpec } from './form-fields.js';

interface Refusal {
  code: number;
  reason: string;
  fields: Record<string, string[]>;
  form: string[];
  retryAfterSeconds?: number;
}

interface RegistrationAnswer {
  metadata?: { name?: string };
  status?: { tenant?: string; namespace?: string; user?: string; email?: string };
}

interface Made {
  tenant: { spec?: { companyName?: string; country?: string; city?: string } };
  users: { metadata?: { name?: string }; spec?: { firstName?: string; lastName?: string; email?: string } }[];
  emails: {
    metadata?: { name?: string };
    spec?: { toAddress?: string; subject?: string };
    status?: { conditions?: { type: string; status: string; reason: string }[] };
  }[];
}

export function signupView(main: HTMLElement, onUnauthorized: () => void): () => void {
  const formErrors = el('div', { class: 'form-errors', attrs: { id: 'form-errors', role: 'alert' } });
  const result = el('section', { class: 'result', attrs: { 'aria-live': 'polite', id: 'signup-result' } });
  const form = el('form', { attrs: { novalidate: '', 'aria-describedby': 'form-errors', id: 'signup-form' } });
  const inputs = new Map<string, HTMLInputElement>();
  const errors = new Map<string, HTMLElement>();

  append(form, formErrors);
  for (const group of FIELD_GROUPS) {
    const fieldset = el('fieldset', {}, el('legend', {}, group.legend));
    for (const spec of group.fields) fieldset.appendChild(field(spec, inputs, errors));
    form.appendChild(fieldset);
  }
  const submit = el('button', { attrs: { type: 'submit' }, class: 'primary' }, 'Sign up');
  form.appendChild(submit);

  const showRefusal = (refusal: Refusal): void => {
    for (const msg of refusal.form) formErrors.appendChild(el('p', {}, msg));
    if (refusal.retryAfterSeconds) formErrors.appendChild(el('p', {}, `Try again in ${refusal.retryAfterSeconds} s.`));
    let first: HTMLInputElement | undefined;
    for (const [name, messages] of Object.entries(refusal.fields)) {
      const input = inputs.get(name);
      const slot = errors.get(name);
      if (!input || !slot) {
        for (const msg of messages) formErrors.appendChild(el('p', {}, `${name}: ${msg}`));
        continue;
      }
      for (const msg of messages) slot.appendChild(el('span', {}, msg));
      input.setAttribute('aria-invalid', 'true');
      first ??= input;
    }
    // Keyboard and screen-reader users land on the first field to fix, or on the summary.
    if (first) first.focus();
    else formErrors.focus();
  };

  const resetErrors = (): void => {
    clear(formErrors);
    for (const slot of errors.values()) clear(slot);
    for (const input of inputs.values()) input.removeAttribute('aria-invalid');
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      resetErrors();
      clear(result);
      submit.disabled = true;
      submit.textContent = 'Signing up…';
      const body: Record<string, unknown> = { user: {}, tenant: {} };
      for (const [name, input] of inputs) {
        const [group, key] = name.split('.');
        if (key === undefined) body[name] = input.value;
        else (body[group!] as Record<string, string>)[key] = input.value;
      }
      try {
        const answer = await call<{ refusal?: Refusal } & RegistrationAnswer>('api/registrations', {
          method: 'POST',
          body: JSON.stringify(body),
        });
        if (answer.status === 201) {
          form.reset();
          await showResult(result, answer.body);
        } else if (answer.body?.refusal) showRefusal(answer.body.refusal);
        else {
          const msg = (answer.body as { message?: string } | undefined)?.message;
          showRefusal({ code: answer.status, reason: '', fields: {}, form: [msg ?? `HTTP ${answer.status}`] });
        }
      } catch (err) {
        if (err instanceof Unauthorized) return onUnauthorized();
        showRefusal({
          code: 0,
          reason: '',
          fields: {},
          form: [(err as Error).message || 'the console is unreachable'],
        });
      } finally {
        submit.disabled = false;
        submit.textContent = 'Sign up';
      }
    })();
  });
  formErrors.tabIndex = -1;

  showView(
    main,
    {
      title: 'Sign up',
      lead: 'One registration makes a tenant with its own namespace, a user with a password and a welcome email.',
    },
    form,
    result,
  );
  return () => undefined;
}

function field(spec: FieldSpec, inputs: Map<string, HTMLInputElement>, errors: Map<string, HTMLElement>): HTMLElement {
  const id = fieldId(spec.name);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const input = el('input', {
    attrs: {
      id,
      name: spec.name,
      type: spec.type ?? 'text',
      autocomplete: spec.autocomplete,
      'aria-describedby': `${spec.hint ? `${hintId} ` : ''}${errorId}`,
      ...(spec.optional ? {} : { 'aria-required': 'true' }),
    },
  });
  const error = el('p', { class: 'field-error', attrs: { id: errorId, 'data-field': spec.name } });
  inputs.set(spec.name, input);
  errors.set(spec.name, error);
  return el(
    'div',
    { class: 'field' },
    el(
      'label',
      { attrs: { for: id } },
      spec.label,
      spec.optional ? el('span', { class: 'optional' }, ' (optional)') : null,
    ),
    spec.hint ? el('p', { class: 'hint', attrs: { id: hintId } }, spec.hint) : null,
    input,
    error,
  );
}

async function showResult(result: HTMLElement, answer: RegistrationAnswer): Promise<void> {
  const s = answer.status ?? {};
  const list = el('dl', { class: 'made' });
  for (const [label, value] of [
    ['Tenant', s.tenant],
    ['Namespace', s.namespace],
    ['User', s.user],
    ['Welcome email', s.email],
  ] as const) {
    append(list, el('dt', {}, label), el('dd', { attrs: { 'data-made': label } }, value ?? '—'));
  }
  const heading = el('h3', { attrs: { tabindex: '-1', id: 'signup-done' } }, 'Registered');
  append(result, heading, list);
  heading.focus();
  if (!s.tenant) return;
  result.appendChild(
    el(
      'p',
      {},
      el('a', { attrs: { href: `#/timeline/${encodeURIComponent(s.tenant)}`, id: 'signup-timeline' } }, 'Its timeline'),
      ': every step of this registration, with its time.',
    ),
  );
  try {
    const made = await getJson<Made>(`api/tenants/${encodeURIComponent(s.tenant)}`);
    const t = made.tenant.spec ?? {};
    const details = el('ul', { class: 'made-details' });
    details.appendChild(el('li', {}, `Company: ${t.companyName ?? ''} (${t.country ?? ''}, ${t.city ?? ''})`));
    for (const u of made.users)
      details.appendChild(
        el(
          'li',
          {},
          `User ${u.metadata?.name ?? ''}: ${u.spec?.firstName ?? ''} ${u.spec?.lastName ?? ''} <${u.spec?.email ?? ''}>`,
        ),
      );
    for (const e of made.emails) {
      const sent = e.status?.conditions?.find((c) => c.type === 'Sent');
      details.appendChild(
        el(
          'li',
          {},
          `Email ${e.metadata?.name ?? ''} to ${e.spec?.toAddress ?? ''}: ${sent ? `${sent.reason}` : 'waiting to be sent'}`,
        ),
      );
    }
    result.appendChild(details);
  } catch (err) {
    result.appendChild(el('p', { class: 'note' }, `Details are not available yet: ${(err as Error).message}`));
  }
}
