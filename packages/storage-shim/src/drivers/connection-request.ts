import { isConnectionError } from './connection-errors.js';
import type { ReconnectingConnection, ScriptStatement } from './reconnecting-connection.js';

/** What sql-bridge.ts asks one connection to run, on whichever thread the connection lives. */
export interface ConnectionRequest {
  text: string;
  params: unknown[];
  /**
   * Instead of `text`: statements run one after another on the connection,
   * stopping at the first that fails, with one answer for all of them (the
   * last one's rows, and each one's in `results`). A batch's rows and its
   * COMMIT travel as one message, to the worker and, where the client can
   * send several statements at once, to the server.
   */
  script?: ScriptStatement[];
  /** A script that holds a whole transaction: if a statement fails, roll it back before answering. */
  rollbackOnError?: boolean;
  /** A session setting: run now and again on every new connection (reconnecting-connection.ts). */
  session?: boolean;
}

/** A statement's answer, or a script's: the last statement's, and each one's in `results`. */
export interface RequestResult {
  rows: unknown[];
  rowCount: number;
  results?: Array<{ rows: unknown[]; rowCount: number }>;
}

/** A failed request as sql-bridge.ts reports it: the client's message, and its code or CONNECTION_LOST. */
export interface RequestError {
  message: string;
  code?: string;
}

export function runRequest<C>(conn: ReconnectingConnection<C>, req: ConnectionRequest): Promise<RequestResult> {
  if (req.script) return runScript(conn, req.script, req.rollbackOnError === true);
  if (req.session) return conn.setSession(req.text);
  return conn.query(req.text, asBuffers(req.params));
}

export function requestError(err: unknown): RequestError {
  const e = err as { message?: string; code?: string };
  const code = e.code ?? (isConnectionError(e) ? 'CONNECTION_LOST' : undefined);
  return code === undefined ? { message: e.message ?? String(err) } : { message: e.message ?? String(err), code };
}

async function runScript<C>(
  conn: ReconnectingConnection<C>,
  script: ScriptStatement[],
  rollbackOnError: boolean,
): Promise<Required<RequestResult>> {
  try {
    const results = await conn.script(script.map((s) => ({ text: s.text, params: asBuffers(s.params) })));
    const last = results.at(-1) ?? { rows: [], rowCount: 0 };
    return { ...last, results };
  } catch (err) {
    // MySQL keeps a transaction open after a failed statement, with the statements before it applied, and
    // PostgreSQL keeps it open and refusing: the driver would take it for ended (its COMMIT was in this
    // script), and the next BEGIN would commit it (MySQL) or fail (PostgreSQL).
    if (rollbackOnError) await conn.query('ROLLBACK', []).catch(() => undefined);
    throw err;
  }
}

// Structured clone turns Buffers into Uint8Arrays; the clients send a Buffer as bytes. Positional parameters come
// as an array, SQLite's named ones (sqlite-worker.ts) as one object of them.
function asBuffers(params: unknown[] | Record<string, unknown>): unknown[] {
  if (Array.isArray(params)) return params.map(asBuffer);
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) named[name] = asBuffer(value);
  return named as unknown as unknown[];
}

function asBuffer(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.length)
    : value;
}
