import { isConnectionError } from './connection-errors.js';

/** What one statement answers. */
export interface StatementResult {
  rows: unknown[];
  rowCount: number;
}

/** One statement of a script, with its parameters. */
export interface ScriptStatement {
  text: string;
  params: unknown[];
}

/** How a worker opens, uses and closes one connection of its database client. */
export interface Connector<C> {
  /** Opens one connection; `lost` is called if it ends on its own afterwards. */
  connect(lost: (err: Error) => void): Promise<C>;
  query(c: C, text: string, params: unknown[]): Promise<StatementResult>;
  /**
   * Several statements in one message to the server (one round trip), their
   * parameters written into the text by the client's own escaping; stops at
   * the first that fails. Without it a script runs one statement at a time.
   */
  many?(c: C, statements: readonly ScriptStatement[]): Promise<StatementResult[]>;
  end(c: C): Promise<unknown>;
}

/** After a failed connection attempt, queries fail at once for this long instead of each trying again. */
export const RECONNECT_PAUSE_MS = 250;

class ConnectionError extends Error {
  constructor(
    message: string,
    readonly code = 'CONNECTION_LOST',
  ) {
    super(message);
  }
}

/**
 * One named connection of a worker (sql-worker-host.ts). A connection that
 * ends (the server restarted, the network dropped) is opened again by the
 * next query that needs it. A transaction cannot outlive its connection:
 * after one was lost inside a transaction, every statement of it fails (code
 * CONNECTION_LOST) until the statement that ends it, so the rest of a batch
 * never runs outside the transaction it started in. Whatever ends or starts
 * a transaction clears that state: the driver's ROLLBACK is answered here
 * (the server already rolled it back), its COMMIT fails (nothing was
 * committed), and a BEGIN starts the next transaction on a new connection.
 */
export class ReconnectingConnection<C> {
  readonly #connector: Connector<C>;
  #conn: Promise<C> | undefined;
  #inTxn = false;
  /**
   * Counts the transactions begun: a statement that ends one clears the state
   * above only if no later one has begun meanwhile (a ROLLBACK sent without
   * waiting, with the next batch's BEGIN queued behind it).
   */
  #begun = 0;
  /** Why the connection that held the open transaction ended; set until the driver rolls back. */
  #lostInTxn: Error | undefined;
  #pausedUntil = 0;
  #lastError: Error | undefined;
  /** Session settings every connection needs (replicas' lock timeouts): run on each new one before any query. */
  #session: string[] = [];
  /**
   * The statement the connection runs now: the next waits for it. Clients queue
   * by themselves, but node-postgres deprecates being handed a query while one
   * runs, so the order of arrival is kept here.
   */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(connector: Connector<C>) {
    this.#connector = connector;
  }

  open(): Promise<C> {
    if (this.#conn) return this.#conn;
    if (Date.now() < this.#pausedUntil && this.#lastError) return Promise.reject(this.#lastError);
    const session = [...this.#session];
    const attempt: Promise<C> = this.#connector
      .connect((err) => this.#lost(attempt, err))
      .then(async (c) => {
        try {
          for (const statement of session) await this.#connector.query(c, statement, []);
          return c;
        } catch (err) {
          await this.#connector.end(c).catch(() => undefined);
          throw err;
        }
      });
    this.#conn = attempt;
    attempt.catch((err: Error) => {
      if (this.#conn === attempt) this.#conn = undefined;
      this.#lastError = err;
      this.#pausedUntil = Date.now() + RECONNECT_PAUSE_MS;
    });
    return attempt;
  }

  #lost(attempt: Promise<C>, err: Error): void {
    if (this.#conn !== attempt) return;
    this.#conn = undefined;
    if (this.#inTxn) {
      this.#inTxn = false;
      this.#lostInTxn = err;
    }
    // Release the client's resources; it is not queryable any more.
    attempt.then((c) => this.#connector.end(c)).catch(() => undefined);
  }

  query(text: string, params: unknown[]): Promise<StatementResult> {
    return this.#run(text, text, (c) => this.#connector.query(c, text, params));
  }

  /**
   * Statements one after another, stopping at the first that fails, with the
   * answer of each: in one message to the server when the client can send
   * several (Connector.many), otherwise one at a time. A script that begins
   * a transaction, or ends one, counts as its first or last statement would.
   */
  async script(statements: readonly ScriptStatement[]): Promise<StatementResult[]> {
    const connector = this.#connector;
    if (!connector.many || statements.length < 2) {
      const results: StatementResult[] = [];
      for (const s of statements) results.push(await this.query(s.text, s.params));
      return results;
    }
    return this.#run(statements[0]!.text, statements.at(-1)!.text, (c) => connector.many!(c, statements));
  }

  /** Runs `exec` on the connection; `first` and `last` are the texts of its first and last statement. */
  async #run<R>(first: string, last: string, exec: (c: C) => Promise<R>): Promise<R> {
    const ending = transactionEnd(last);
    const ends = ending !== undefined;
    const starts = startsTransaction(first);
    const lost = this.#lostInTxn;
    // The lost transaction ends with the statement that ends it, whichever it is, and a BEGIN means the
    // driver has left it. Waiting for a ROLLBACK alone stalled a replica for good after a server restart:
    // the driver sends none after a failed COMMIT (the COMMIT ended its batch) or a failed BEGIN (nothing
    // began), so every later BEGIN was refused here without ever opening a new connection.
    if (lost && (ends || starts)) this.#lostInTxn = undefined;
    // With no connection open there is no transaction to roll back (it ended with its connection): answered
    // here, so that a driver's ROLLBACK after a COMMIT that lost its connection does not fail in its turn
    // (connection refused while the server is away) and hide the COMMIT's error.
    if (first === last && ending === 'ROLLBACK' && !this.#conn) return { rows: [], rowCount: 0 } as R;
    if (lost && !starts) {
      throw new ConnectionError(
        `the connection was lost inside a transaction, which the server rolled back (${lost.message})`,
      );
    }
    const attempt = this.open();
    const c = await attempt;
    if (starts) {
      this.#inTxn = true;
      this.#begun++;
    }
    const transaction = this.#begun;
    const turn = this.#turn.then(() => exec(c));
    this.#turn = turn.catch(() => undefined);
    try {
      return await turn;
    } catch (err) {
      if (isConnectionError(err as Error)) this.#lost(attempt, err as Error);
      throw err;
    } finally {
      if (ends && transaction === this.#begun) {
        this.#inTxn = false;
        // A COMMIT or ROLLBACK whose connection ended under it (the end may be heard before or after its
        // own error) ended the transaction either way, the driver reporting a COMMIT's unknown outcome:
        // nothing of that transaction follows that would have to be refused.
        this.#lostInTxn = undefined;
      }
    }
  }

  /** Runs a session setting now and on every connection opened later (after a server restart). */
  async setSession(statement: string): Promise<StatementResult> {
    const result = await this.query(statement, []);
    this.#session.push(statement);
    return result;
  }

  /**
   * A session setting already known to be valid (another connection ran it):
   * kept for every connection opened from now on, and queued on the one open
   * now, if any, behind what it runs. Never fails: a connection it fails on
   * is being lost, and the next one runs it as it opens.
   */
  adoptSession(statement: string): void {
    this.#session.push(statement);
    if (this.#conn) this.query(statement, []).catch(() => undefined);
  }

  async close(): Promise<void> {
    const attempt = this.#conn;
    this.#conn = undefined;
    if (attempt) await attempt.then((c) => this.#connector.end(c)).catch(() => undefined);
  }
}

const VERB = /^\s*(\w+)(\s+TO\b)?/i;

/** Which statement ends the transaction, if this one does (ROLLBACK TO SAVEPOINT stays inside it). */
function transactionEnd(text: string): 'COMMIT' | 'ROLLBACK' | undefined {
  const verb = VERB.exec(text);
  const word = verb?.[1]?.toUpperCase();
  return (word === 'COMMIT' || word === 'ROLLBACK') && !verb?.[2] ? word : undefined;
}

function startsTransaction(text: string): boolean {
  const word = VERB.exec(text)?.[1]?.toUpperCase();
  return word === 'BEGIN' || word === 'START';
}

/** What a client's connection reports its end through. */
interface Watchable {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/**
 * Opens one connection the way both workers do: from the start, `lost` hears
 * when it ends (without a listener, a connection the server ends would throw
 * in the worker's thread and end it), and a connection that fails to get
 * `ready` is closed again by `discard` before the error is passed on.
 */
export async function openWatched<C extends Watchable>(
  created: C | Promise<C>,
  steps: {
    lost: (err: Error) => void;
    endMessage: string;
    ready: (c: C) => Promise<unknown>;
    discard: (c: C) => unknown;
  },
): Promise<C> {
  const c = await created;
  c.on('error', steps.lost);
  c.on('end', () => steps.lost(new Error(steps.endMessage)));
  try {
    await steps.ready(c);
  } catch (err) {
    await steps.discard(c);
    throw err;
  }
  return c;
}
