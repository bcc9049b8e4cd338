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

const PLACEHOLDER = /\{\{([\s\S]*?)\}\}/g;
const PATH = /^\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function position(text: string, index: number): string {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  const column = index - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
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
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) paths.push(...placeholderPaths(value as Record<string, unknown>, path));
    else paths.push(path);
  }
  return paths;
}

/** Renders `template`; throws CNPAAS_OPERATOR_TEMPLATE listing every problem. */
export function renderTemplate(options: RenderOptions): string {
  const { template, data } = options;
  const escape = options.escape === 'html' ? escapeHtml : (s: string) => s;
  const problems: string[] = [];
  let out = '';
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const index = match.index;
    const inner = match[1]!;
    const text = template.slice(last, index);
    if (text.includes('{{')) problems.push(`${position(template, last + text.indexOf('{{'))}: "{{" is not closed by "}}"`);
    out += text;
    last = index + match[0].length;
    const path = inner.trim();
    if (inner.includes('{{') || !PATH.test(path)) {
      problems.push(`${position(template, index)}: {{${inner}}} is not a placeholder; write a dotted path like {{ .spec.firstName }}`);
      continue;
    }
    const found = lookup(data, path);
    if (!found.found) {
      problems.push(`${position(template, index)}: {{ ${path} }} ${found.why}`);
      continue;
    }
    out += escape(found.value);
  }
  const rest = template.slice(last);
  if (rest.includes('{{')) problems.push(`${position(template, last + rest.indexOf('{{'))}: "{{" is not closed by "}}"`);
  out += rest;
  if (problems.length > 0) {
    throw new OperatorError('CNPAAS_OPERATOR_TEMPLATE', `${options.source ?? 'template'}: ${problems.join('; ')}`, {
      hint: `fix the template; placeholders available: ${placeholderPaths(data).join(', ')}`,
    });
  }
  return out;
}
