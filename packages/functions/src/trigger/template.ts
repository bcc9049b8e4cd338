/**
 * The HTTPTrigger body template: a small, safe subset of Go's text/template
 * syntax (what the original trigger's `{{ toJson . }}` bodies use). It is
 * parsed once when a trigger is reconciled, so a broken template is reported
 * in the trigger's status (with line and column) instead of failing every
 * delivery. No eval, no method calls, no prototype walks: a path reads own
 * properties of JSON data only.
 *
 * Grammar (inside `{{ … }}`, spaces optional):
 *
 *   action   := pipeline
 *   pipeline := FUNC arg+ | arg
 *   arg      := path | "string" | number | true | false | null | '(' pipeline ')'
 *   path     := '.' | ('.' IDENT)+          IDENT = [A-Za-z_][A-Za-z0-9_]*
 *
 * Functions:
 * - `toJson X`      X as JSON (`null` when missing);
 * - `quote X`       X as a JSON string literal (`""` when missing; other
 *                   values by their JSON text) — safe inside JSON bodies;
 * - `index X K…`    X[K][K2]… with string keys (labels like `app.kubernetes.io/name`)
 *                   or integer indexes;
 * - `default D X`   X, or D when X is missing, null or "".
 *
 * A bare value renders strings as-is, numbers and booleans as text, null and
 * missing as "", objects and arrays as JSON. `{{ "{{" }}` writes a literal
 * `{{`. The data is the event: `.type`, `.object`, `.synthetic`.
 */
import { FunctionsError } from '../errors.js';

/** The most a rendered body may be; more means a runaway template or object. */
export const MAX_RENDERED_BYTES = 1024 * 1024;

type Expr =
  | { kind: 'path'; segments: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'call'; fn: FunctionName; args: Expr[] };

type Part = { kind: 'text'; text: string } | { kind: 'action'; expr: Expr };

const FUNCTIONS = { toJson: 1, quote: 1, index: 2, default: 2 } as const;
type FunctionName = keyof typeof FUNCTIONS;

export interface CompiledTemplate {
  readonly source: string;
  render(data: unknown): string;
}

function templateError(message: string, source: string, offset: number): FunctionsError {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return new FunctionsError(
    'CNPAAS_FUNCTIONS_TRIGGER_TEMPLATE',
    `body template, line ${line} column ${column}: ${message}`,
    {
      hint: 'write {{ .object }}, {{ toJson .object }}, {{ quote .object.metadata.name }}, {{ index .object.metadata.labels "key" }} or {{ default "x" .path }}',
    },
  );
}

/** Parses `source`; throws CNPAAS_FUNCTIONS_TRIGGER_TEMPLATE naming the line and column of the first problem. */
export function compileTemplate(source: string): CompiledTemplate {
  const parts: Part[] = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf('{{', at);
    if (open < 0) {
      parts.push({ kind: 'text', text: source.slice(at) });
      break;
    }
    if (open > at) parts.push({ kind: 'text', text: source.slice(at, open) });
    const close = findClose(source, open + 2);
    if (close < 0) throw templateError('"{{" without a matching "}}"', source, open);
    const parser = new ActionParser(source, open + 2, close);
    parts.push({ kind: 'action', expr: parser.parseAction() });
    at = close + 2;
  }
  return {
    source,
    render: (data: unknown) => {
      let out = '';
      for (const part of parts) {
        out += part.kind === 'text' ? part.text : display(evaluate(part.expr, data));
        if (out.length > MAX_RENDERED_BYTES) {
          throw new FunctionsError(
            'CNPAAS_FUNCTIONS_TRIGGER_TEMPLATE',
            `the rendered body exceeds ${MAX_RENDERED_BYTES} bytes`,
            {
              hint: 'send less of the object (e.g. {{ toJson .object.metadata }}) and let the target read the rest from the API',
            },
          );
        }
      }
      return out;
    },
  };
}

/** The `}}` closing an action, skipping any inside string literals. */
function findClose(source: string, from: number): number {
  let inString = false;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '}' && source[i + 1] === '}') return i;
  }
  return -1;
}

class ActionParser {
  #pos: number;
  constructor(
    readonly source: string,
    start: number,
    readonly end: number,
  ) {
    this.#pos = start;
  }

  parseAction(): Expr {
    this.#skipSpace();
    if (this.#pos >= this.end) throw templateError('empty action', this.source, this.#pos);
    const expr = this.#pipeline();
    this.#skipSpace();
    if (this.#pos < this.end)
      throw templateError(`unexpected "${this.source.slice(this.#pos, this.end).trim()}"`, this.source, this.#pos);
    return expr;
  }

  #pipeline(): Expr {
    this.#skipSpace();
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.source.slice(this.#pos, this.end))?.[0];
    if (ident && !['true', 'false', 'null'].includes(ident)) {
      if (!Object.hasOwn(FUNCTIONS, ident))
        throw templateError(
          `unknown function "${ident}" (known: ${Object.keys(FUNCTIONS).join(', ')})`,
          this.source,
          this.#pos,
        );
      const fn = ident as FunctionName;
      const fnAt = this.#pos;
      this.#pos += ident.length;
      const args: Expr[] = [];
      for (;;) {
        this.#skipSpace();
        if (this.#pos >= this.end || this.source[this.#pos] === ')') break;
        args.push(this.#arg());
      }
      const min = FUNCTIONS[fn];
      if (args.length < min)
        throw templateError(
          `${fn} needs ${min === 1 ? 'an argument' : `at least ${min} arguments`}`,
          this.source,
          fnAt,
        );
      if ((fn === 'toJson' || fn === 'quote') && args.length > 1)
        throw templateError(`${fn} takes one argument`, this.source, fnAt);
      if (fn === 'default' && args.length > 2)
        throw templateError('default takes two arguments: the default, then the value', this.source, fnAt);
      return { kind: 'call', fn, args };
    }
    return this.#arg();
  }

  #arg(): Expr {
    this.#skipSpace();
    const c = this.source[this.#pos];
    const start = this.#pos;
    if (c === '(') {
      this.#pos++;
      const inner = this.#pipeline();
      this.#skipSpace();
      if (this.source[this.#pos] !== ')') throw templateError('"(" without a matching ")"', this.source, start);
      this.#pos++;
      return inner;
    }
    if (c === '.') return this.#path();
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(this.source.slice(this.#pos, this.end));
      if (!m) throw templateError('unterminated string', this.source, start);
      this.#pos += m[0].length;
      try {
        return { kind: 'literal', value: JSON.parse(m[0]) as string };
      } catch {
        throw templateError(`bad string literal ${m[0]}`, this.source, start);
      }
    }
    const word = /^(?:-?\d+(?:\.\d+)?|true|false|null)(?![A-Za-z0-9_])/.exec(
      this.source.slice(this.#pos, this.end),
    )?.[0];
    if (word) {
      this.#pos += word.length;
      return { kind: 'literal', value: JSON.parse(word) as unknown };
    }
    throw templateError(
      `expected a path (.object…), a string, a number or "(", found "${this.source.slice(this.#pos, this.end).trim().slice(0, 20)}"`,
      this.source,
      start,
    );
  }

  #path(): Expr {
    const start = this.#pos;
    const m = /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+|^\./.exec(this.source.slice(this.#pos, this.end));
    this.#pos += m![0].length;
    const next = this.source[this.#pos];
    if (next !== undefined && this.#pos < this.end && !/[\s()]/.test(next)) {
      throw templateError(
        `bad path "${this.source.slice(start, this.#pos + 1)}": use index for keys with other characters`,
        this.source,
        start,
      );
    }
    const segments = m![0] === '.' ? [] : m![0].slice(1).split('.');
    return { kind: 'path', segments };
  }

  #skipSpace(): void {
    while (this.#pos < this.end && /\s/.test(this.source[this.#pos]!)) this.#pos++;
  }
}

/** Own properties only: a path never reaches a prototype. */
function lookup(value: unknown, key: string | number): unknown {
  if (Array.isArray(value)) {
    const i = typeof key === 'number' ? key : /^\d+$/.test(key) ? Number(key) : NaN;
    return Number.isInteger(i) && i >= 0 && i < value.length ? (value[i] as unknown) : undefined;
  }
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, key))
    return (value as Record<string, unknown>)[String(key)];
  return undefined;
}

function evaluate(expr: Expr, data: unknown): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'path':
      return expr.segments.reduce<unknown>((v, s) => lookup(v, s), data);
    case 'call': {
      // A nested toJson/quote result is text to the outer function.
      const args = expr.args.map((a) => {
        const v = evaluate(a, data);
        return v instanceof Raw ? v.text : v;
      });
      switch (expr.fn) {
        case 'toJson':
          return new Raw(JSON.stringify(args[0] ?? null) ?? 'null');
        case 'quote': {
          return new Raw(JSON.stringify(display(args[0])));
        }
        case 'index':
          return args
            .slice(1)
            .reduce<unknown>(
              (v, k) => (typeof k === 'string' || typeof k === 'number' ? lookup(v, k) : undefined),
              args[0],
            );
        case 'default': {
          const [fallback, value] = args;
          return value === undefined || value === null || value === '' ? fallback : value;
        }
      }
    }
  }
}

/** Already-rendered text (from toJson/quote): shown as-is. */
class Raw {
  constructor(readonly text: string) {}
}

function display(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  // Objects and arrays print as JSON; JSON data holds nothing else.
  return JSON.stringify(value) ?? '';
}
