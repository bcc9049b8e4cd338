/**
 * Sign in (#/signin) and the signed-in person's own tenant (#/account).
 *
 * Signing in asks the logins API (through the console) for a 10-minute token
 * of the person's own ServiceAccount. Everything #/account shows is read
 * with that token, so it shows exactly what the tenant's RBAC allows: their
 * User, Tenant and Namespace load; any other tenant is refused by
 * kube-apiserver, and the page says so in the server's own words.
 */
import { call } from './api.js';
import { append, clear, el, showView } from './dom.js';
import { currentSession, endSession, personHeaders, saveSession, type Session } from './session.js';

interface Read {
  status: number;
  object?: {
    metadata?: { name?: string; namespace?: string };
    spec?: Record<string, string | undefined>;
    status?: { phase?: string; verifiedAt?: string };
  };
  message?: string;
}

export function signinView(main: HTMLElement): () => void {
  const email = el('input', { attrs: { id: 'signin-email', type: 'email', autocomplete: 'username' } });
  const password = el('input', {
    attrs: { id: 'signin-password', type: 'password', autocomplete: 'current-password' },
  });
  const error = el('p', { class: 'form-errors', attrs: { id: 'signin-error', role: 'alert', tabindex: '-1' } });
  const submit = el('button', { class: 'primary', attrs: { type: 'submit' } }, 'Sign in');
  const form = el(
    'form',
    { attrs: { id: 'signin-form', novalidate: '', 'aria-describedby': 'signin-error' } },
    error,
    el('div', { class: 'field' }, el('label', { attrs: { for: 'signin-email' } }, 'Email address'), email),
    el('div', { class: 'field' }, el('label', { attrs: { for: 'signin-password' } }, 'Password'), password),
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clear(error);
    submit.disabled = true;
    void call<Session & { message?: string }>('api/logins', {
      method: 'POST',
      body: JSON.stringify({ email: email.value, password: password.value }),
    })
      .then((answer) => {
        if (answer.status === 201) {
          saveSession(answer.body);
          password.value = '';
          location.hash = '#/account';
          return;
        }
        error.textContent = answer.body?.message ?? `Signing in failed (HTTP ${answer.status}).`;
        error.focus();
      })
      .catch((err: unknown) => {
        error.textContent = (err as Error).message || 'the console is unreachable';
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  showView(
    main,
    { title: 'Sign in', lead: 'Sign in with the address you registered and verified, and your password.' },
    form,
  );
  email.focus();
  return () => undefined;
}

export function accountView(main: HTMLElement): () => void {
  clear(main);
  const session = currentSession();
  if (!session) {
    append(
      main,
      el('h2', {}, 'Your tenant'),
      el('p', { attrs: { id: 'account-signed-out' } }, 'You are not signed in (or your sign-in expired).'),
      el('p', {}, el('a', { attrs: { href: '#/signin' } }, 'Sign in')),
    );
    return () => undefined;
  }
  const mine = el('section', { attrs: { id: 'account-own', 'aria-live': 'polite' } }, el('p', {}, 'Loading…'));
  const otherName = el('input', { attrs: { id: 'other-tenant', autocomplete: 'off' } });
  const otherResult = el('div', { attrs: { id: 'other-result', 'aria-live': 'polite' } });
  const other = el(
    'form',
    { attrs: { id: 'other-form' } },
    el(
      'div',
      { class: 'field' },
      el('label', { attrs: { for: 'other-tenant' } }, 'Read another tenant (name)'),
      otherName,
    ),
    el('button', { attrs: { type: 'submit' } }, 'Try to read it'),
  );
  other.addEventListener('submit', (event) => {
    event.preventDefault();
    clear(otherResult);
    void call<Read>(`api/me/tenants/${encodeURIComponent(otherName.value.trim())}`, { headers: personHeaders(session) })
      .then((answer) => {
        const read = answer.body;
        if (answer.status === 200 && read.status === 200) {
          append(
            otherResult,
            el('p', { attrs: { 'data-read': 'allowed' } }, `Allowed: Tenant ${read.object?.metadata?.name ?? ''}.`),
          );
        } else {
          append(
            otherResult,
            el(
              'p',
              { class: 'refused', attrs: { 'data-read': 'refused' } },
              `Refused by the API server (HTTP ${read.status ?? answer.status}): ${read.message ?? (answer.body as { message?: string }).message ?? ''}`,
            ),
          );
        }
      })
      .catch((err: unknown) => append(otherResult, el('p', {}, (err as Error).message)));
  });
  const signOut = el('button', { attrs: { type: 'button', id: 'sign-out' } }, 'Sign out');
  signOut.addEventListener('click', () => {
    endSession();
    location.hash = '#/signin';
  });
  append(
    main,
    el('h2', {}, 'Your tenant'),
    el(
      'p',
      { class: 'lead' },
      `Signed in as ${session.user.namespace}/${session.user.name} until ${new Date(session.expirationTimestamp).toLocaleTimeString()}. Everything below is read with your own token.`,
    ),
    mine,
    el('h3', {}, 'Someone else’s tenant'),
    el('p', {}, 'Your token may read only your own objects; try another tenant’s name to see the API server refuse.'),
    other,
    otherResult,
    signOut,
  );
  void call<{ username?: string; user?: Read; tenant?: Read; namespace?: Read; message?: string }>('api/me', {
    headers: personHeaders(session),
  })
    .then((answer) => {
      clear(mine);
      if (answer.status !== 200) {
        append(mine, el('p', { class: 'form-errors' }, answer.body?.message ?? `HTTP ${answer.status}`));
        return;
      }
      const { user, tenant, namespace } = answer.body;
      const list = el('dl', { class: 'made' });
      const row = (label: string, read: Read | undefined, text: (r: Read) => string): void => {
        append(
          list,
          el('dt', {}, label),
          el(
            'dd',
            { attrs: { 'data-own': label.toLowerCase(), 'data-status': String(read?.status ?? '') } },
            read?.status === 200 ? text(read) : `refused (HTTP ${read?.status ?? '?'}): ${read?.message ?? ''}`,
          ),
        );
      };
      row(
        'User',
        user,
        (r) =>
          `${r.object?.metadata?.name ?? ''}: ${r.object?.spec?.['email'] ?? ''} (${r.object?.status?.phase ?? 'Pending'})`,
      );
      row('Tenant', tenant, (r) => `${r.object?.metadata?.name ?? ''}: ${r.object?.spec?.['companyName'] ?? ''}`);
      row('Namespace', namespace, (r) => r.object?.metadata?.name ?? '');
      append(mine, el('p', {}, `Kubernetes sees you as ${answer.body.username ?? ''}.`), list);
    })
    .catch((err: unknown) => {
      clear(mine);
      append(mine, el('p', {}, (err as Error).message));
    });
  return () => undefined;
}
