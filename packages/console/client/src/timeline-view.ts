/**
 * A registration's timeline (#/timeline/<tenant>): each step from the
 * RegistrationRequest to the sent mail, with its time and what marked it.
 * The server builds the steps (src/timeline.ts); this view draws them and
 * asks again whenever the data fabric's stream reports a change, so a
 * registration in flight fills in live. Without a tenant it lists the
 * tenants to pick from.
 */
import { ApiFailure, Unauthorized, getJson } from './api.js';
import { append, clear, el, timeOf } from './dom.js';

interface Step {
  id: string;
  title: string;
  state: 'done' | 'waiting' | 'failed';
  time?: string;
  mark?: string;
  message?: string;
}

interface Timeline {
  tenant: string;
  registrationUid?: string;
  sawRequest: boolean;
  steps: Step[];
}

interface FabricSnapshot {
  objects: { kind: string; name: string; object: { metadata?: { creationTimestamp?: string } } }[];
}

const STATE_TEXT: Record<Step['state'], string> = { done: 'Done', waiting: 'Waiting', failed: 'Failed' };

/** Wait this long after a change before asking again: a registration writes a burst of objects. */
const REFRESH_DELAY_MS = 250;

export function timelineView(
  main: HTMLElement,
  tenant: string | undefined,
  onError: (err: unknown) => void,
): () => void {
  clear(main);
  if (!tenant) {
    void tenantPicker(main).catch(onError);
    return () => undefined;
  }
  const status = el('p', { class: 'live', attrs: { role: 'status', id: 'timeline-status' } }, 'Loading…');
  const list = el('ol', { class: 'timeline', attrs: { id: 'timeline-steps', 'aria-describedby': 'timeline-status' } });
  append(
    main,
    el('h2', {}, 'Registration timeline'),
    el(
      'p',
      { class: 'lead' },
      'Tenant ',
      el('code', {}, tenant),
      ': each step, when it happened and what recorded it.',
    ),
    status,
    list,
    el('p', {}, el('a', { attrs: { href: '#/timeline' } }, 'All tenants')),
  );

  let stopped = false;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const load = async (): Promise<void> => {
    try {
      const timeline = await getJson<Timeline>(`api/tenants/${encodeURIComponent(tenant)}/timeline`);
      if (stopped) return;
      draw(list, timeline);
      const left = timeline.steps.filter((s) => s.state === 'waiting').length;
      status.textContent = left === 0 ? 'Complete' : `${left} step${left === 1 ? '' : 's'} to go; updating live`;
      status.dataset['state'] = left === 0 ? 'complete' : 'live';
    } catch (err) {
      if (stopped) return;
      if (err instanceof Unauthorized) return onError(err);
      status.textContent =
        err instanceof ApiFailure && err.status === 404
          ? `There is no tenant ${tenant} (yet): a registration makes its tenant within seconds.`
          : `The timeline is not available: ${(err as Error).message}`;
      status.dataset['state'] = 'error';
    }
  };
  const refresh = (): void => {
    if (pending) clearTimeout(pending);
    pending = setTimeout(() => void load(), REFRESH_DELAY_MS);
  };
  void load();
  // The fabric's stream says when anything changed; the timeline is cheap to rebuild, so no filtering here.
  const source = new EventSource('api/fabric/events');
  source.addEventListener('change', refresh);
  return () => {
    stopped = true;
    if (pending) clearTimeout(pending);
    source.close();
  };
}

function draw(list: HTMLElement, timeline: Timeline): void {
  clear(list);
  for (const step of timeline.steps) {
    const item = el('li', { class: `step ${step.state}`, attrs: { 'data-step': step.id, 'data-state': step.state } });
    append(
      item,
      el('span', { class: 'state' }, STATE_TEXT[step.state]),
      el('span', { class: 'title' }, step.title),
      step.time ? el('time', { attrs: { datetime: step.time } }, timeOf(step.time)) : null,
      step.mark ? el('span', { class: 'mark' }, step.mark) : null,
      step.message ? el('p', { class: 'message' }, step.message) : null,
    );
    list.appendChild(item);
  }
}

async function tenantPicker(main: HTMLElement): Promise<void> {
  append(main, el('h2', {}, 'Registration timeline'), el('p', { class: 'lead' }, 'Pick a tenant to see its steps.'));
  const snapshot = await getJson<FabricSnapshot>('api/fabric');
  const tenants = snapshot.objects
    .filter((o) => o.kind === 'Tenant')
    .sort((a, b) =>
      (b.object.metadata?.creationTimestamp ?? '').localeCompare(a.object.metadata?.creationTimestamp ?? ''),
    );
  if (tenants.length === 0) {
    main.appendChild(el('p', { class: 'empty' }, 'No tenants yet: sign someone up first.'));
    return;
  }
  const list = el('ul', { class: 'tenants', attrs: { id: 'timeline-tenants' } });
  for (const t of tenants) {
    list.appendChild(
      el(
        'li',
        {},
        el('a', { attrs: { href: `#/timeline/${encodeURIComponent(t.name)}` } }, t.name),
        ' ',
        el('span', { class: 'when' }, timeOf(t.object.metadata?.creationTimestamp)),
      ),
    );
  }
  main.appendChild(list);
}
