/**
 * Data fabric: one column per store backend, and in each the webshop
 * objects it holds, grouped by kind, arriving live. The server streams a
 * snapshot and then changes (server-sent events); after a dropped
 * connection or a reload EventSource reconnects and the new snapshot
 * replaces everything, so nothing is missed or doubled.
 */
import type { FabricChange, FabricObject as Served, FabricSnapshot } from '../../src/fabric.js';
import { append, clear, el, showView, timeOf } from './dom.js';

/** What this view reads of each object. */
interface ShownObject {
  metadata?: { creationTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}
type FabricObject = Served<ShownObject>;
type Snapshot = FabricSnapshot<ShownObject>;
type Change = FabricChange<ShownObject>;

export function fabricView(main: HTMLElement, onUnauthorized: () => void): () => void {
  const state = new Map<string, FabricObject>(); // uid → object
  let snapshot: Snapshot | undefined;
  const live = el('p', { class: 'live', attrs: { role: 'status', id: 'fabric-status' } }, 'Connecting…');
  const columns = el('div', { class: 'columns', attrs: { id: 'fabric-columns' } });
  const fresh = new Set<string>();

  showView(
    main,
    {
      title: 'Data fabric',
      lead: 'Every webshop object in the store backend that holds it: one column per backend of the topology.',
    },
    live,
    columns,
  );

  const render = (): void => {
    if (!snapshot) return;
    // A change redraws the columns: keep what the reader had open, and keyboard focus where it was.
    const open = new Set([...columns.querySelectorAll('li[data-uid] details[open]')].map(uidOf));
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const focusedUid = focused && columns.contains(focused) ? uidOf(focused) : undefined;
    clear(columns);
    for (const backend of snapshot.backends) {
      const headingId = `backend-${backend}`;
      const column = el('section', {
        class: 'column',
        attrs: { 'aria-labelledby': headingId, 'data-backend': backend },
      });
      column.appendChild(el('h3', { attrs: { id: headingId } }, backend));
      const keys = snapshot.keys?.[backend];
      if (keys !== undefined)
        column.appendChild(
          el(
            'p',
            { class: 'keys', attrs: { 'data-keys': String(keys) } },
            `${keys} ${keys === 1 ? 'key' : 'keys'} in the store`,
          ),
        );
      let any = false;
      for (const resource of snapshot.resources) {
        const objects = [...state.values()]
          .filter((o) => o.backend === backend && o.resource === resource.id)
          .sort((a, b) => `${a.namespace ?? ''}/${a.name}`.localeCompare(`${b.namespace ?? ''}/${b.name}`));
        if (objects.length === 0) continue;
        any = true;
        const list = el('ul', { class: 'objects' });
        for (const o of objects) list.appendChild(objectItem(o, fresh.has(o.uid)));
        column.appendChild(
          el(
            'section',
            { class: 'group', attrs: { 'data-resource': resource.kind } },
            el('h4', {}, `${resource.title} `, el('span', { class: 'count' }, `(${objects.length})`)),
            list,
          ),
        );
      }
      if (!any) column.appendChild(el('p', { class: 'empty' }, 'No webshop objects here yet.'));
      columns.appendChild(column);
    }
    fresh.clear();
    for (const details of columns.querySelectorAll<HTMLDetailsElement>('li[data-uid] details'))
      if (open.has(uidOf(details))) details.open = true;
    if (focusedUid) columns.querySelector<HTMLElement>(`li[data-uid="${CSS.escape(focusedUid)}"] summary`)?.focus();
  };

  const apply = (change: Change): void => {
    if (change.type === 'upsert') {
      if (!state.has(change.object.uid)) fresh.add(change.object.uid);
      state.set(change.object.uid, change.object);
    } else if (change.type === 'keys') {
      if (snapshot) snapshot.keys = change.keys;
    } else if (change.type === 'delete') state.delete(change.uid);
    else {
      for (const [uid, o] of state) if (o.resource === change.resource) state.delete(uid);
      for (const o of change.objects) state.set(o.uid, o);
    }
  };

  let source: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const connect = (): void => {
    source = new EventSource('api/fabric/events');
    source.addEventListener('open', () => {
      live.textContent = 'Live';
      live.dataset['state'] = 'live';
    });
    source.addEventListener('snapshot', (event) => {
      snapshot = JSON.parse((event as MessageEvent<string>).data) as Snapshot;
      state.clear();
      for (const o of snapshot.objects) state.set(o.uid, o);
      live.textContent = 'Live';
      live.dataset['state'] = 'live';
      render();
    });
    source.addEventListener('change', (event) => {
      apply(JSON.parse((event as MessageEvent<string>).data) as Change);
      render();
    });
    source.addEventListener('error', () => {
      live.textContent = 'Reconnecting…';
      live.dataset['state'] = 'reconnecting';
      // EventSource retries by itself unless the server refused (a 401, a 5xx): then start over.
      if (source?.readyState === EventSource.CLOSED && !stopped) {
        source.close();
        void fetch('api/config', { credentials: 'same-origin' }).then((res) => {
          if (res.status === 401) onUnauthorized();
          else if (!stopped) retry = setTimeout(connect, 2000);
        });
      }
    });
  };
  connect();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    source?.close();
  };
}

function uidOf(node: Element): string | undefined {
  return node.closest('li[data-uid]')?.getAttribute('data-uid') ?? undefined;
}

function objectItem(o: FabricObject, isNew: boolean): HTMLElement {
  const title = o.namespace ? `${o.namespace}/${o.name}` : o.name;
  const item = el('li', {
    class: isNew ? 'object new' : 'object',
    attrs: {
      'data-uid': o.uid,
      'data-name': o.name,
      'data-kind': o.kind,
      ...(o.namespace ? { 'data-namespace': o.namespace } : {}),
    },
  });
  append(item, el('span', { class: 'name' }, title));
  const summary = summaryOf(o);
  if (summary) append(item, el('span', { class: 'summary' }, summary));
  if (o.kind === 'Tenant')
    append(
      item,
      el('a', { class: 'timeline-link', attrs: { href: `#/timeline/${encodeURIComponent(o.name)}` } }, 'Timeline'),
    );
  const ready = o.object.status?.conditions?.find((c) => c.type === 'Ready' || c.type === 'Sent' || c.type === 'Valid');
  if (ready)
    append(
      item,
      el(
        'span',
        { class: `condition ${ready.status === 'True' ? 'ok' : 'pending'}` },
        `${ready.type}: ${ready.reason ?? ready.status}`,
      ),
    );
  append(
    item,
    el(
      'details',
      {},
      el('summary', {}, 'Object'),
      el('p', { class: 'key' }, o.key),
      el('p', { class: 'when' }, timeOf(o.object.metadata?.creationTimestamp)),
      el('pre', {}, JSON.stringify(o.object, null, 2)),
    ),
  );
  return item;
}

/** One line per kind saying what the object is about. */
function summaryOf(o: FabricObject): string {
  const spec = o.object.spec ?? {};
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  switch (o.kind) {
    case 'Tenant':
      return [text(spec['companyName']), text(spec['country'])].filter(Boolean).join(', ');
    case 'User':
      return [`${text(spec['firstName'])} ${text(spec['lastName'])}`.trim(), text(spec['email'])]
        .filter(Boolean)
        .join(' · ');
    case 'Email':
      return [text(spec['toAddress']), text(spec['subject'])].filter(Boolean).join(' · ');
    case 'EmailTemplate':
      return text(spec['subject']);
    case 'RegistrationRequest': {
      const user = spec['user'] as { email?: unknown } | undefined;
      return text(user?.email);
    }
    default:
      return '';
  }
}
