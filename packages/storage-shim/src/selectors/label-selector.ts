/**
 * Kubernetes label selectors, parsed and matched as k8s.io/apimachinery's
 * `labels.Parse` and `Requirement.Matches` do, so that the store never drops
 * an object kube-apiserver would keep.
 *
 * The string grammar: requirements separated by `,`, each one of
 *   key            the label exists
 *   !key           the label does not exist
 *   key=v, key==v  the label exists and equals v
 *   key!=v         the label is missing or differs from v
 *   key in (a,b)   the label exists and is one of the values
 *   key notin (a,b) the label is missing or is none of the values
 *   key>n, key<n   the label exists, parses as a 64-bit integer and compares so
 * All requirements must hold. Keys are qualified names (`prefix/name`),
 * values are label values; `>`/`<` take an integer. The empty string selects
 * everything.
 */

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | '>' | '<';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: readonly string[];
}

/** A bad selector string; `reason` says what is wrong in Kubernetes' words. */
export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError';
}

// --- lexer (labels/selector.go Lexer) ---

type Token = 'end' | 'identifier' | 'in' | 'notin' | '!' | '=' | '==' | '!=' | '>' | '<' | '(' | ')' | ',' | 'error';

const SYMBOLS: ReadonlyMap<string, Token> = new Map<string, Token>([
  ['!', '!'],
  ['!=', '!='],
  ['=', '='],
  ['==', '=='],
  ['>', '>'],
  ['<', '<'],
  ['(', '('],
  [')', ')'],
  [',', ','],
]);

const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string): boolean => '=!(),><'.includes(c);

interface Lexeme {
  token: Token;
  literal: string;
}

function lex(s: string): Lexeme[] {
  const out: Lexeme[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    // Go's lexer reads a NUL byte as the end of the string.
    if (pos >= s.length || s[pos] === '\0') {
      out.push({ token: 'end', literal: '' });
      return out;
    }
    if (isSpecial(s[pos]!)) {
      // The longest run of special characters that is still a symbol.
      let buffer = '';
      let last: Lexeme | undefined;
      while (pos < s.length && isSpecial(s[pos]!)) {
        const token = SYMBOLS.get(buffer + s[pos]!);
        if (!token) {
          if (last) break;
          buffer += s[pos++]!;
          continue;
        }
        buffer += s[pos++]!;
        last = { token, literal: buffer };
      }
      out.push(last ?? { token: 'error', literal: buffer });
      continue;
    }
    const start = pos;
    while (pos < s.length && !isWhitespace(s[pos]!) && !isSpecial(s[pos]!) && s[pos] !== '\0') pos++;
    const word = s.slice(start, pos);
    out.push({ token: word === 'in' || word === 'notin' ? word : 'identifier', literal: word });
  }
}

// --- parser (labels/selector.go Parser) ---

/**
 * Where the parser is: after a key an operator is expected and `in`/`notin`
 * are keywords; everywhere else they are plain identifiers (a label may be
 * called `in`).
 */
type Context = 'operator' | 'values';

class Parser {
  #pos = 0;
  constructor(private readonly lexemes: Lexeme[]) {}

  lookahead(context: Context): Lexeme {
    return this.#as(this.lexemes[this.#pos]!, context);
  }

  consume(context: Context): Lexeme {
    const l = this.lexemes[this.#pos]!;
    if (this.#pos < this.lexemes.length - 1) this.#pos++;
    return this.#as(l, context);
  }

  #as(l: Lexeme, context: Context): Lexeme {
    if (context === 'values' && (l.token === 'in' || l.token === 'notin'))
      return { token: 'identifier', literal: l.literal };
    return l;
  }
}

const fail = (reason: string): never => {
  throw new SelectorSyntaxError(reason);
};

function parseRequirements(p: Parser): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  for (;;) {
    const next = p.lookahead('values');
    if (next.token === 'end') return out;
    if (next.token !== 'identifier' && next.token !== '!')
      fail(`found '${next.literal}', expected: !, identifier, or 'end of string'`);
    out.push(parseRequirement(p));
    const after = p.consume('values');
    if (after.token === 'end') return out;
    if (after.token !== ',') fail(`found '${after.literal}', expected: ',' or 'end of string'`);
    const following = p.lookahead('values');
    if (following.token !== 'identifier' && following.token !== '!')
      fail(`found '${following.literal}', expected: identifier after ','`);
  }
}

function parseRequirement(p: Parser): LabelRequirement {
  let first = p.consume('values');
  let negated = false;
  if (first.token === '!') {
    negated = true;
    first = p.consume('values');
  }
  if (first.token !== 'identifier') fail(`found '${first.literal}', expected: identifier`);
  const key = first.literal;
  checkKey(key);
  const next = p.lookahead('values').token;
  // `!key` is complete by itself; whatever follows it is the caller's to reject.
  if (negated) return requirement(key, '!', []);
  if (next === 'end' || next === ',') return requirement(key, 'exists', []);
  const operator = parseOperator(p);
  const values = operator === 'in' || operator === 'notin' ? parseValueSet(p) : [parseExactValue(p)];
  return requirement(key, operator, values);
}

const BINARY: readonly Token[] = ['in', '=', '==', '>', '<', 'notin', '!='];

function parseOperator(p: Parser): LabelOperator {
  const l = p.consume('operator');
  if (!BINARY.includes(l.token)) fail(`found '${l.literal}', expected: in, notin, =, ==, !=, gt, lt`);
  return l.token as LabelOperator;
}

function parseExactValue(p: Parser): string {
  const next = p.lookahead('values').token;
  if (next === 'end' || next === ',') return '';
  const l = p.consume('values');
  if (l.token !== 'identifier') fail(`found '${l.literal}', expected: identifier`);
  return l.literal;
}

function parseValueSet(p: Parser): string[] {
  const open = p.consume('values');
  if (open.token !== '(') fail(`found '${open.literal}', expected: '('`);
  const next = p.lookahead('values');
  if (next.token === ')') {
    p.consume('values');
    return [''];
  }
  if (next.token !== 'identifier' && next.token !== ',')
    fail(`found '${next.literal}', expected: ',', ')' or identifier`);
  const values = parseIdentifierList(p);
  const close = p.consume('values');
  if (close.token !== ')') fail(`found '${close.literal}', expected: ')'`);
  return values;
}

/** Values inside `( )`; empty entries (`(,a)`, `(a,,b)`, `(a,)`) stand for the empty value, as in Go. */
function parseIdentifierList(p: Parser): string[] {
  const set = new Set<string>();
  for (;;) {
    const l = p.consume('values');
    if (l.token === 'identifier') {
      set.add(l.literal);
      const next = p.lookahead('values');
      if (next.token === ',') continue;
      if (next.token === ')') return [...set];
      fail(`found '${next.literal}', expected: ',' or ')'`);
    } else if (l.token === ',') {
      if (set.size === 0) set.add('');
      const next = p.lookahead('values').token;
      if (next === ')') {
        set.add('');
        return [...set];
      }
      if (next === ',') {
        p.consume('values');
        set.add('');
      }
    } else {
      fail(`found '${l.literal}', expected: ',', or identifier`);
    }
  }
}

// --- validation (labels.NewRequirement, validation.IsQualifiedName, IsValidLabelValue) ---

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const INT64 = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function checkKey(key: string): void {
  const parts = key.split('/');
  if (parts.length > 2)
    fail(
      `key '${key}': a qualified name is an optional DNS subdomain prefix and '/' and a name (e.g. 'example.com/MyName')`,
    );
  const name = parts.at(-1)!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0) fail(`key '${key}': prefix part must be non-empty`);
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))
      fail(`key '${key}': prefix part must be a lowercase DNS subdomain of at most 253 characters`);
  }
  if (name.length === 0) fail(`key '${key}': name part must be non-empty`);
  if (name.length > 63) fail(`key '${key}': name part must be no more than 63 characters`);
  if (!QUALIFIED_NAME.test(name))
    fail(
      `key '${key}': name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
}

/** strconv.ParseInt(s, 10, 64); undefined when it would fail. */
export function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function requirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  if ((operator === '>' || operator === '<') && parseInt64(values[0]!) === undefined)
    fail(`values of '${key}': for 'Gt', 'Lt' operators, the value must be an integer`);
  for (const v of values) {
    if (v.length > 63) fail(`value '${v}' of '${key}': must be no more than 63 characters`);
    if (!LABEL_VALUE.test(v))
      fail(
        `value '${v}' of '${key}': a valid label value must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      );
  }
  // Sorted, as Go's set List() gives them.
  return { key, operator, values: [...values].sort() };
}

// --- the selector ---

export class LabelSelector {
  constructor(readonly requirements: readonly LabelRequirement[]) {}

  get empty(): boolean {
    return this.requirements.length === 0;
  }

  /** True when every requirement holds for `labels` (labels.Requirement.Matches). */
  matches(labels: ReadonlyMap<string, string>): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }
}

function requirementMatches(r: LabelRequirement, labels: ReadonlyMap<string, string>): boolean {
  const value = labels.get(r.key);
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return value !== undefined && r.values.includes(value);
    // Kubernetes: an object without the label matches `!=` and `notin`.
    case '!=':
    case 'notin':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
    case '>':
    case '<': {
      if (value === undefined) return false;
      const have = parseInt64(value);
      const want = parseInt64(r.values[0]!);
      if (have === undefined || want === undefined) return false;
      return r.operator === '>' ? have > want : have < want;
    }
  }
}

/** Parses a label selector string; throws SelectorSyntaxError naming the problem. */
export function parseLabelSelector(selector: string): LabelSelector {
  return new LabelSelector(parseRequirements(new Parser(lex(selector))));
}
