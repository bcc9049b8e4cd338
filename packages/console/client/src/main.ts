/**
 * The console's shell: views behind hash routes (#/signup, #/fabric,
 * #/timeline[/<tenant>], #/inbox, #/signin, #/account), the verify page at
 * /verify (a mailed link), a large-type toggle remembered in this browser,
 * and the prompt for the console's own token when it runs with one.
 */
import { ApiFailure, Unauthorized, call } from './api.js';
import { append, clear, el } from './dom.js';
import { fabricView } from './fabric-view.js';
import { inboxView } from './inbox-view.js';
import { accountView, signinView } from './signin-view.js';
import { signupView } from './signup-view.js';
import { timelineView } from './timeline-view.js';
import { verifyView } from './verify-view.js';

type View = 'signup' | 'fabric' | 'timeline' | 'inbox' | 'signin' | 'account';
const VIEWS: Record<View, string> = {
  signup: 'Sign up',
  fabric: 'Data fabric',
  timeline: 'Timeline',
  inbox: 'Inbox',
  signin: 'Sign in',
  account: 'Your tenant',
};
const LARGE_KEY = 'cnpaas-console-large-type';

const main = document.getElementById('main')!;
let leave: () => void = () => undefined;

/** `#/timeline/t-abc` → view timeline, argument t-abc (the server checks the name before using it). */
function currentRoute(): { view: View; arg?: string } {
  const [name = '', arg] = location.hash.replace(/^#\/?/, '').split('/', 2);
  const view = name in VIEWS ? (name as View) : 'signup';
  if (!arg) return { view };
  try {
    return { view, arg: decodeURIComponent(arg) };
  } catch {
    return { view };
  }
}

function show(): void {
  leave();
  // A mailed verification link: /verify#token=…, its own page.
  if (location.pathname.endsWith('/verify')) {
    document.title = 'Verify your address · cnpaas console';
    leave = verifyView(main);
    return;
  }
  const { view, arg } = currentRoute();
  document.title = `${VIEWS[view]} · cnpaas console`;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-view]')) {
    if (link.dataset['view'] === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (view === 'signup') leave = signupView(main, signIn);
  else if (view === 'fabric') leave = fabricView(main, signIn);
  else if (view === 'timeline') leave = timelineView(main, arg, onError);
  else if (view === 'signin') leave = signinView(main);
  else if (view === 'account') leave = accountView(main);
  else leave = inboxView(main, onError);
}

function onError(err: unknown): void {
  if (err instanceof Unauthorized) return signIn();
  const message = err instanceof ApiFailure || err instanceof Error ? err.message : String(err);
  main.prepend(el('p', { class: 'form-errors', attrs: { role: 'alert' } }, message));
}

/** The console runs with a token: ask for it once; the server answers with a session cookie. */
function signIn(): void {
  leave();
  leave = () => undefined;
  const input = el('input', { attrs: { id: 'token', type: 'password', autocomplete: 'current-password' } });
  const error = el('p', { class: 'field-error', attrs: { id: 'token-error', role: 'alert' } });
  input.setAttribute('aria-describedby', 'token-error');
  const form = el(
    'form',
    {},
    el('div', { class: 'field' }, el('label', { attrs: { for: 'token' } }, 'Console token'), input, error),
    el('button', { class: 'primary', attrs: { type: 'submit' } }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void call('api/session', { method: 'POST', body: JSON.stringify({ token: input.value }) })
      .then(() => show())
      .catch(() => {
        error.textContent = 'That is not the token this console was started with.';
        input.focus();
      });
  });
  clear(main);
  append(main, el('h2', {}, 'Sign in'), el('p', {}, 'This console asks for the token it was started with.'), form);
  input.focus();
}

function setupLargeType(): void {
  const button = document.getElementById('large-type')!;
  const apply = (on: boolean): void => {
    document.documentElement.classList.toggle('large', on);
    button.setAttribute('aria-pressed', String(on));
  };
  apply(localStorage.getItem(LARGE_KEY) === '1');
  button.addEventListener('click', () => {
    const on = button.getAttribute('aria-pressed') !== 'true';
    localStorage.setItem(LARGE_KEY, on ? '1' : '0');
    apply(on);
  });
}

setupLargeType();
window.addEventListener('hashchange', () => {
  // The nav's links are fragments: from /verify they lead back to the console's own page.
  if (location.pathname.endsWith('/verify')) {
    location.assign(`./${location.hash}`);
    return;
  }
  show();
  main.focus();
});
show();
