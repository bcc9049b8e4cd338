/**
 * A small, safe template renderer for EmailTemplates. It replaces
 * placeholders and does nothing else: no expressions, no functions, no
 * loops, no eval. Placeholders keep the original demo's Go text/template
 * look, so its templates work unchanged:
 *
 *     Hello {{ .spec.firstName }} {{ .spec.lastName }}!
 *
 * A placeholder is a dotted path (the leading dot is optional) into the data
 * the caller provides. Every problem is an error, collected in one message
 * with line and column: an unknown path (a typo must not send "Hello !"), a
 * path that names an object rather than a value, an unclosed `{{`. Only own
 * properties are looked up, so `{{ .constructor }}` or `{{ .__proto__ }}`
 * are unknown like any other typo.
 */
import { OperatorError } from '../errors.js';

export interface RenderOptions {
  template: string;
  /** Nested plain objects whose leaves are strings, numbers or booleans. */
  data: Record<string, unknown>;
  /** 'html' escapes values (for a body that is HTML); default 'none'. */
  escape?: 'none' | 'html';
  /** Named in errors, e.g. "EmailTemplate cnpaas-system/registration spec.body". */
  source?: string;
}

const PATH = /^\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * The largest template (subject or body) the renderer accepts, in UTF-8
 * bytes. A welcome mail is a few KiB; the bound keeps one render, and the
 * problems it reports, small whatever a template's author writes.
 */
export const MAX_TEMPLATE_BYTES = 64 * 1024;
/** Problems listed in one error; the rest are counted (a condition message has a size limit). */
const MAX_REPORTED_PROBLEMS = 20;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Line and column of increasing offsets in `text`. Each call continues
 * counting newlines from the previous one, so reporting every problem of a
 * template costs one pass over it, not one pass per problem.
 */
function locator(text: string): (index: number) => string {
  let scanned = 0;
  let line = 1;
  let lineStart = 0;
  return (index) => {
    for (let nl = text.indexOf('\n', scanned); nl !== -1 && nl < index; nl = text.indexOf('\n', nl + 1)) {
      line++;
      lineStart = nl + 1;
    }
    scanned = Math.max(scanned, index);
    return `line ${line}, column ${index - lineStart + 1}`;
  };
}

type Lookup = { found: true; value: string } | { found: false; why: string };

function lookup(data: Record<string, unknown>, path: string): Lookup {
  let current: unknown = data;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, part)) {
      return { found: false, why: 'unknown placeholder' };
    }
    current = (current as Record<string, unknown>)[part];
  }
  if (typeof current === 'string') return { found: true, value: current };
  if (typeof current === 'number' || typeof current === 'boolean') return { found: true, value: String(current) };
  return { found: false, why: 'names an object, not a value' };
}

/** Every leaf path of `data`, e.g. ".spec.firstName", for the error message. */
export function placeholderPaths(data: Record<string, unknown>, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    const path = `${prefix}.${key}`;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      paths.push(...placeholderPaths(value as Record<string, unknown>, path));
    else paths.push(path);
  }
  return paths;
}

/** Renders `template`; throws CNPAAS_OPERATOR_TEMPLATE listing every problem. */
export function renderTemplate(options: RenderOptions): string {
  const { template, data } = options;
  const source = options.source ?? 'template';
  const size = Buffer.byteLength(template, 'utf8');
  if (size > MAX_TEMPLATE_BYTES) {
    throw new OperatorError(
      'CNPAAS_OPERATOR_TEMPLATE',
      `${source}: ${size} bytes, more than the ${MAX_TEMPLATE_BYTES} bytes a template may have`,
      {
        hint: `shorten it to at most ${MAX_TEMPLATE_BYTES / 1024} KiB`,
      },
    );
  }
  const escape = options.escape === 'html' ? escapeHtml : (s: string) => s;
  const at = locator(template);
  const problems: string[] = [];
  const out: string[] = [];
  // One left-to-right pass: every indexOf starts where the previous one stopped.
  let last = 0;
  while (last < template.length) {
    const open = template.indexOf('{{', last);
    if (open === -1) break;
    out.push(template.slice(last, open));
    const close = template.indexOf('}}', open + 2);
    if (close === -1) {
      problems.push(`${at(open)}: "{{" is not closed by "}}"`);
      last = template.length;
      break;
    }
    last = close + 2;
    const inner = template.slice(open + 2, close);
    const path = inner.trim();
    if (inner.includes('{{') || !PATH.test(path)) {
      problems.push(
        `${at(open)}: {{${inner.length > 80 ? `${inner.slice(0, 80)}…` : inner}}} is not a placeholder; write a dotted path like {{ .spec.firstName }}`,
      );
      continue;
    }
    const found = lookup(data, path);
    if (!found.found) {
      problems.push(`${at(open)}: {{ ${path} }} ${found.why}`);
      continue;
    }
    out.push(escape(found.value));
  }
  out.push(template.slice(last));
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_REPORTED_PROBLEMS);
    if (problems.length > listed.length) listed.push(`and ${problems.length - listed.length} more`);
    throw new OperatorError('CNPAAS_OPERATOR_TEMPLATE', `${source}: ${listed.join('; ')}`, {
      hint: `fix the template; placeholders available: ${placeholderPaths(data).join(', ')}`,
    });
  }
  return out.join('');
}
