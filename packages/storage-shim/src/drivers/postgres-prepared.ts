import { isConnectionError } from './connection-errors.js';
import { inlineParams, paramLiteral } from './postgres-literals.js';
import type { ScriptStatement } from './reconnecting-connection.js';

/**
 * Server-side prepared statements for the statements of a script, one set
 * per connection (they live as long as its session). A script is one
 * simple-query message (postgres-literals.ts), and PostgreSQL parses and
 * plans every statement of such a message each time it runs it: for a lone
 * write's small statements that was most of the server's work (in a probe on
 * this design, the same transaction took 0.68–0.80 ms at p50 as a script and
 * 0.52 ms as `EXECUTE`s of prepared statements). A statement that recurs is
 * therefore prepared once (`PREPARE name AS text`, its `$n` left as
 * parameters whose types the server infers as it would for the literals),
 * and from then on sent as `EXECUTE name(literal, …)`: still one message,
 * with the same meaning and the same answer.
 *
 * Preparing needs a round trip of its own, taken only just before a script
 * that opens its own transaction (its first statement is BEGIN), when the
 * session is idle: a PREPARE the server refuses then aborts nothing. It
 * refuses a statement whose parameter types it cannot infer, or infers two
 * ways: that statement stays written out in full on this connection. A
 * server that takes no PREPARE at all (a PostgreSQL-compatible one without
 * it) is asked once per connection. A statement is prepared the second time
 * it is seen (one whose text carries its values never recurs), and at most
 * `limit` per connection.
 */
export class PreparedStatements {
  /** Text → name, for the statements prepared in this session. */
  readonly #names = new Map<string, { name: string; params: number }>();
  /** Texts seen once, and those seen again and waiting for the next idle moment. */
  readonly #seen = new Set<string>();
  readonly #wanted = new Set<string>();
  /** Texts the server would not prepare. */
  readonly #refused = new Set<string>();
  #off = false;
  #next = 0;

  constructor(private readonly limit = 256) {}

  get size(): number {
    return this.#names.size;
  }

  /**
   * The script as one message: each prepared statement as its EXECUTE,
   * every other one written out with its literals. Notes what recurs.
   */
  render(statements: readonly ScriptStatement[]): string {
    return statements.map((s) => this.#render(s)).join(';\n');
  }

  #render(s: ScriptStatement): string {
    const prepared = this.#names.get(s.text);
    if (prepared === undefined) {
      this.#note(s.text);
      return inlineParams(s.text, s.params);
    }
    if (prepared.params === 0) return `EXECUTE ${prepared.name}`;
    const args: string[] = [];
    for (let n = 1; n <= prepared.params; n++) args.push(paramLiteral(s.params, n));
    return `EXECUTE ${prepared.name}(${args.join(', ')})`;
  }

  #note(text: string): void {
    if (this.#off || this.#refused.has(text) || this.#wanted.has(text) || !PREPARABLE.test(text)) return;
    if (this.#names.size + this.#wanted.size >= this.limit) return;
    if (this.#seen.delete(text)) {
      this.#wanted.add(text);
      return;
    }
    // Texts that carry their values never recur: keep this set from growing without bound.
    if (this.#seen.size >= SEEN_LIMIT) this.#seen.clear();
    this.#seen.add(text);
  }

  /**
   * Prepares what recurred, if `statements` opens its own transaction (the
   * session is idle before it): one message, or one per statement when the
   * server refused one of them. `send` runs one simple-query message; a
   * lost connection rejects (and the script is not sent).
   */
  async prepareBefore(statements: readonly ScriptStatement[], send: (text: string) => Promise<unknown>): Promise<void> {
    if (this.#wanted.size === 0 || statements[0]?.text !== 'BEGIN') return;
    const texts = [...this.#wanted];
    this.#wanted.clear();
    const named = texts.map((text) => ({ text, name: `cnpaas_${++this.#next}`, params: parameterCount(text) }));
    const prepare = (p: (typeof named)[number]) => `PREPARE ${p.name} AS ${p.text}`;
    try {
      await send(named.map(prepare).join(';\n'));
      for (const p of named) this.#names.set(p.text, p);
      return;
    } catch (err) {
      if (!isServerRefusal(err)) throw err;
    }
    // One message runs as one transaction: none of them was prepared. Find the one(s) refused.
    for (const p of named) {
      try {
        await send(prepare(p));
        this.#names.set(p.text, p);
      } catch (err) {
        if (!isServerRefusal(err)) throw err;
        if (NO_PREPARE.has((err as { code?: string }).code ?? '')) {
          this.#off = true;
          return;
        }
        this.#refused.add(p.text);
      }
    }
  }
}

/** Statements PostgreSQL can prepare (PREPARE takes SELECT, INSERT, UPDATE, DELETE, MERGE and VALUES). */
const PREPARABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;
const SEEN_LIMIT = 4096;
/** syntax_error and feature_not_supported: a server that has no PREPARE; a statement's own error is another code. */
const NO_PREPARE = new Set(['42601', '0A000']);

/** The highest `$n` in a statement: how many values its EXECUTE passes. */
export function parameterCount(text: string): number {
  let max = 0;
  for (const m of text.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}

/** An error the server answered with (a SQLSTATE), as opposed to a lost connection. */
function isServerRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; message?: string };
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && !isConnectionError(e as { code: string });
}
