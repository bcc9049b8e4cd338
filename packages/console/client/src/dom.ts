/**
 * The one way the console builds DOM: elements with attributes and text
 * nodes. Text always goes in as text (createTextNode / textContent), never
 * as HTML, so a name, an address or a mail subject holding `<script>` shows
 * as those characters.
 */
export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** Attributes, set with setAttribute (values are text). */
  attrs?: Record<string, string | undefined>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {}))
    if (value !== undefined) node.setAttribute(name, value);
  for (const [type, handler] of Object.entries(props.on ?? {})) node.addEventListener(type, handler as EventListener);
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** Replaces what `main` shows with a view: its heading, the lead paragraph saying what it is, then its parts. */
export function showView(main: HTMLElement, intro: { title: string; lead: string }, ...parts: Child[]): void {
  clear(main);
  append(main, el('h2', {}, intro.title), el('p', { class: 'lead' }, intro.lead), ...parts);
}

/** A short time like 14:03:27, or the text as it came when it is not a date. */
export function timeOf(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
