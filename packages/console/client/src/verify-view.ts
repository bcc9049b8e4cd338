/**
 * The target of the link in a welcome mail: /verify#token=…. The token is
 * in the fragment, which browsers never send to a server; this page reads
 * it, removes it from the address bar, and sends it to the console, which
 * asks the verifications API. Each outcome gets its own words and what to
 * do next.
 */
import { call } from './api.js';
import { append, clear, el } from './dom.js';

const OUTCOMES: Record<string, { title: string; next: string }> = {
  verified: { title: 'Your address is verified', next: 'You can sign in now with your address and password.' },
  used: {
    title: 'This link was already used',
    next: 'A verification link works once, and your address is verified already. Sign in with your address and password.',
  },
  expired: {
    title: 'This link has expired',
    next: 'Verification links work for 24 hours. Ask the webshop to verify your address for you.',
  },
  invalid: {
    title: 'This link is not valid',
    next: 'It was changed or cut short on the way. Open it exactly as your welcome mail has it (a mail program may have broken it across two lines).',
  },
  gone: { title: 'This account no longer exists', next: 'Register again to get a new account.' },
  unavailable: { title: 'Verification is not available right now', next: 'Try the link again in a minute.' },
};

export function verifyView(main: HTMLElement): () => void {
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? '';
  // The token leaves the address bar (and this tab's history) once read.
  history.replaceState(null, '', location.pathname);
  const result = el('section', { attrs: { id: 'verify-result', 'aria-live': 'polite' } });
  clear(main);
  append(main, el('h2', {}, 'Verify your address'), result);
  if (!token) {
    show(result, 'invalid', 'The link has no token.');
    return () => undefined;
  }
  result.appendChild(el('p', {}, 'Checking the link…'));
  void call<{ outcome?: string; message?: string }>('api/verifications', {
    method: 'POST',
    body: JSON.stringify({ token }),
  })
    .then((answer) => show(result, answer.body?.outcome ?? 'unavailable', answer.body?.message))
    .catch((err: unknown) => show(result, 'unavailable', (err as Error).message));
  return () => undefined;
}

function show(result: HTMLElement, outcome: string, detail: string | undefined): void {
  const words = OUTCOMES[outcome] ?? OUTCOMES['unavailable']!;
  clear(result);
  result.setAttribute('data-outcome', outcome);
  const heading = el('h3', { attrs: { tabindex: '-1', id: 'verify-outcome' } }, words.title);
  append(
    result,
    heading,
    el('p', {}, words.next),
    detail && outcome !== 'verified' ? el('p', { class: 'note' }, `The server said: ${detail}`) : null,
    el('p', {}, el('a', { attrs: { href: './#/signin' } }, 'Go to sign in')),
  );
  heading.focus();
}
