import { SelectorSyntaxError } from './label-selector.js';

/**
 * Kubernetes field selectors, parsed as k8s.io/apimachinery's
 * `fields.ParseSelector` does: terms separated by unescaped `,`, each
 * `field=value`, `field==value` or `field!=value`, where `\` escapes `\`, `,`
 * and `=` in the value. All terms must hold. The empty string selects
 * everything.
 *
 * Matching is three-valued, because the store reads the stored JSON, not the
 * field set kube-apiserver builds for the resource (see object-fields.ts): a
 * term is true, false, or unknown when the store cannot tell what the field
 * is. Only a term that is certainly false excludes an object.
 */

export interface FieldTerm {
  field: string;
  /** `=` and `==` mean the same. */
  operator: '=' | '!=';
  value: string;
}

/** What the store knows of a field: its string form, or undefined when it cannot tell. */
export type FieldLookup = (field: string) => string | undefined;

export class FieldSelector {
  constructor(readonly terms: readonly FieldTerm[]) {}

  get empty(): boolean {
    return this.terms.length === 0;
  }

  /** False only when some term certainly fails; a term on a field the store cannot read does not exclude. */
  mayMatch(lookup: FieldLookup): boolean {
    for (const t of this.terms) {
      const value = lookup(t.field);
      if (value === undefined) continue;
      if ((value === t.value) !== (t.operator === '=')) return false;
    }
    return true;
  }
}

/** Splits on `,` not preceded by an escaping `\` (fields.splitTerms). */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

/** The first operator from the left; at one position `!=` wins over `==` over `=` (fields.splitTerm). */
function splitTerm(term: string): FieldTerm | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) {
        return { field: term.slice(0, i), operator: op === '!=' ? '!=' : '=', value: term.slice(i + op.length) };
      }
    }
  }
  return undefined;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are escapes; any other `\`, and a bare `,` or `=`, are errors. */
function unescapeValue(value: string): string {
  if (!/[\\,=]/.test(value)) return value;
  let out = '';
  let escaped = false;
  for (const c of value) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorSyntaxError(`invalid escape sequence '\\${c}'`);
      out += c;
      escaped = false;
    } else if (c === '\\') escaped = true;
    else if (c === ',' || c === '=')
      throw new SelectorSyntaxError(`invalid character '${c}' in value: escape it as '\\${c}'`);
    else out += c;
  }
  if (escaped) throw new SelectorSyntaxError(`invalid escape sequence '\\' at the end of a value`);
  return out;
}

/** Parses a field selector string; throws SelectorSyntaxError naming the problem. */
export function parseFieldSelector(selector: string): FieldSelector {
  if (selector.length === 0) return new FieldSelector([]);
  const terms: FieldTerm[] = [];
  for (const part of splitTerms(selector)) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (!term)
      throw new SelectorSyntaxError(`can't understand '${part}': expected field=value, field==value or field!=value`);
    terms.push({ ...term, value: unescapeValue(term.value) });
  }
  return new FieldSelector(terms);
}
