/**
 * Inbox: what the demo SMTP server received, newest first. A message's
 * HTML is shown only in an iframe whose sandbox allows nothing (no
 * scripts, no same-origin, no forms, no navigation); its text part is shown
 * as text.
 */
import { getJson } from './api.js';
import { append, clear, el, showView, timeOf } from './dom.js';

interface MailSummary {
  id: string;
  from: string;
  to: string[];
  subject: string;
  receivedAt: string;
}

interface MailMessage extends MailSummary {
  date: string;
  text: string;
  html: string;
}

const REFRESH_MS = 3000;

export function inboxView(main: HTMLElement, onError: (err: unknown) => void): () => void {
  const list = el('ul', { class: 'mail-list', attrs: { id: 'mail-list' } });
  const status = el('p', { class: 'live', attrs: { role: 'status' } });
  const reader = el('article', { class: 'mail-reader', attrs: { id: 'mail-reader', 'aria-live': 'polite' } });
  let selected: string | undefined;
  let shownIds = '';

  showView(
    main,
    { title: 'Inbox', lead: 'Mail the demo SMTP server received, newest first.' },
    status,
    el('div', { class: 'inbox' }, el('nav', { attrs: { 'aria-label': 'Messages' } }, list), reader),
  );

  const open = async (id: string): Promise<void> => {
    selected = id;
    for (const b of list.querySelectorAll('button')) b.setAttribute('aria-current', String(b.dataset['id'] === id));
    const m = await getJson<MailMessage>(`api/mail/${encodeURIComponent(id)}`);
    clear(reader);
    const headers = el('dl', { class: 'mail-headers' });
    for (const [k, v] of [
      ['From', m.from],
      ['To', m.to.join(', ')],
      ['Subject', m.subject],
      ['Received', timeOf(m.receivedAt)],
    ] as const)
      append(headers, el('dt', {}, k), el('dd', {}, v));
    append(reader, el('h3', { attrs: { id: 'mail-subject' } }, m.subject || '(no subject)'), headers);
    if (m.html) {
      // sandbox="" (no allow-scripts, no allow-same-origin): the mail's HTML cannot run or reach the console.
      const frame = el('iframe', { class: 'mail-html', attrs: { sandbox: '', title: `Message: ${m.subject}` } });
      frame.srcdoc = m.html;
      reader.appendChild(frame);
      if (m.text) reader.appendChild(el('details', {}, el('summary', {}, 'Plain text'), el('pre', {}, m.text)));
    } else reader.appendChild(el('pre', { class: 'mail-text' }, m.text));
  };

  const refresh = async (): Promise<void> => {
    const answer = await getJson<{ enabled: boolean; messages: MailSummary[] }>('api/mail');
    if (!answer.enabled) {
      status.textContent = 'This console has no inbox: start it with --mail-dir.';
      return;
    }
    status.textContent = `${answer.messages.length} message${answer.messages.length === 1 ? '' : 's'}`;
    const ids = answer.messages.map((m) => m.id).join(',');
    if (ids === shownIds) return;
    shownIds = ids;
    clear(list);
    for (const m of answer.messages) {
      const button = el(
        'button',
        {
          class: 'mail-item',
          attrs: { type: 'button', 'data-id': m.id, 'aria-current': String(m.id === selected) },
          on: { click: () => void open(m.id).catch(onError) },
        },
        el('span', { class: 'subject' }, m.subject || '(no subject)'),
        el('span', { class: 'to' }, m.to.join(', ')),
        el('span', { class: 'when' }, timeOf(m.receivedAt)),
      );
      list.appendChild(el('li', {}, button));
    }
  };

  void refresh().catch(onError);
  const timer = setInterval(() => void refresh().catch(onError), REFRESH_MS);
  return () => clearInterval(timer);
}
