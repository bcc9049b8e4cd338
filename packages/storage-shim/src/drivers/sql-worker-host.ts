import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { isConnectionError } from './connection-errors.js';
import { ReconnectingConnection, type Connector, type ScriptStatement } from './reconnecting-connection.js';
import { postableRows } from './posted-bytes.js';
import { packRevisionRows } from './revision-rows.js';

export type { Connector, ScriptStatement } from './reconnecting-connection.js';

/**
 * The worker side of sql-bridge.ts, for any database client: it receives
 * queries, runs them on the named connection and answers either on the sync
 * port (waking the thread that waits in Atomics.wait) or as an ordinary
 * message. `writer` holds a batch's transaction; `reader` answers reads
 * outside a batch (and compaction) at the committed state, the asynchronous
 * ones on a pool of reader connections (`readPool`) when there is one.
 * Each connection runs its queries in the order they arrive.
 * A connection that ends is opened again by the next query that needs it
 * (reconnecting-connection.ts), so the store carries on by itself once the
 * server is back.
 */

/** A message to the worker: sql-bridge.ts sends it. */
export interface WorkerRequest {
  id: number;
  conn: 'writer' | 'reader';
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
  /** Answer on the sync port and wake the waiting thread, or post back asynchronously. */
  sync: boolean;
  /** A session setting: run now and again on every new connection (reconnecting-connection.ts). */
  session?: boolean;
  /**
   * The statement selects revision rows (a Range's page): answer them packed
   * into one ArrayBuffer, transferred rather than cloned (revision-rows.ts).
   * For a script, each statement's rows packed apart (`packedResults`).
   */
  packed?: boolean;
}

export function serveQueries<C>(open: (config: unknown) => Connector<C>): void {
  const { config, port, flag, readPool } = workerData as {
    config: unknown;
    port: MessagePort;
    flag: Int32Array;
    readPool: number;
  };
  const connector = open(config);
  const slots = { writer: new ReconnectingConnection(connector), reader: new ReconnectingConnection(connector) };
  // Asynchronous reads run side by side on connections of their own, opened on first use: one connection
  // runs its queries one after another, and concurrent Ranges would queue behind each other on the reader.
  const pool = Array.from({ length: readPool }, () => ({ conn: new ReconnectingConnection(connector), busy: 0 }));
  const pooled = async <R>(run: (conn: ReconnectingConnection<C>) => Promise<R>): Promise<R> => {
    const least = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
    least.busy++;
    try {
      return await run(least.conn);
    } finally {
      least.busy--;
    }
  };
  // Both connections open at once, so that the first query shows a wrong host or password. A failure before
  // the first query arrives (a host that does not resolve fails at once) must not be an unhandled rejection,
  // which would end the worker; the first query tries again and reports it.
  slots.writer.open().catch(() => undefined);
  slots.reader.open().catch(() => undefined);

  const answer = (req: WorkerRequest, reply: object, transfer: ArrayBuffer[] = []): void => {
    if (req.sync) {
      // Post, then count: the waiting thread looks for its answer whenever the count moves.
      port.postMessage({ id: req.id, ...reply }, transfer);
      Atomics.add(flag, 0, 1);
      Atomics.notify(flag, 0);
    } else {
      parentPort!.postMessage({ id: req.id, ...reply }, transfer);
    }
  };
  const reply = (req: WorkerRequest, r: ScriptResult): void => {
    if (!req.packed) return answer(req, postable(r));
    if (r.results) {
      const packedResults = r.results.map((result) => packRevisionRows(result.rows));
      return answer(req, { rows: [], rowCount: r.rowCount, packedResults }, packedResults);
    }
    const packed = packRevisionRows(r.rows);
    answer(req, { rows: [], rowCount: r.rowCount, packed }, [packed]);
  };

  parentPort!.on('message', (req: WorkerRequest | 'close') => {
    if (req === 'close') {
      void Promise.all([slots.writer.close(), slots.reader.close(), ...pool.map((p) => p.conn.close())]).finally(() =>
        parentPort!.postMessage('closed'),
      );
      return;
    }
    const slot = slots[req.conn];
    const onPool = req.conn === 'reader' && !req.sync && pool.length > 0;
    const script = req.script;
    const run: Promise<ScriptResult> = script
      ? onPool
        ? pooled((conn) => runScript(conn, script, req.rollbackOnError === true))
        : runScript(slot, script, req.rollbackOnError === true)
      : req.session
        ? slot.setSession(req.text)
        : onPool
          ? pooled((conn) => conn.query(req.text, asBuffers(req.params)))
          : slot.query(req.text, asBuffers(req.params));
    run.then(
      (r) => reply(req, r),
      (err: unknown) => {
        const e = err as { message?: string; code?: string };
        const code = e.code ?? (isConnectionError(e) ? 'CONNECTION_LOST' : undefined);
        answer(req, { error: { message: e.message ?? String(err), code } });
      },
    );
  });
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

/** A statement's answer, or a script's: the last statement's, and each one's in `results`. */
interface ScriptResult {
  rows: unknown[];
  rowCount: number;
  results?: Array<{ rows: unknown[]; rowCount: number }>;
}

/**
 * An answer as posted: the bytes of each row copied out of the buffers the
 * client parsed them into (posted-bytes.ts). A script's last result keeps
 * sharing its rows with `rows`, so that they cross only once.
 */
function postable(r: ScriptResult): ScriptResult {
  if (!r.results) return { rows: postableRows(r.rows), rowCount: r.rowCount };
  const results = r.results.map((result) => ({ rows: postableRows(result.rows), rowCount: result.rowCount }));
  return { rows: results.at(-1)?.rows ?? postableRows(r.rows), rowCount: r.rowCount, results };
}

async function runScript<C>(
  slot: ReconnectingConnection<C>,
  script: ScriptStatement[],
  rollbackOnError: boolean,
): Promise<Required<ScriptResult>> {
  try {
    const results = await slot.script(script.map((s) => ({ text: s.text, params: asBuffers(s.params) })));
    const last = results.at(-1) ?? { rows: [], rowCount: 0 };
    return { ...last, results };
  } catch (err) {
    // MySQL keeps a transaction open after a failed statement, with the statements before it applied, and
    // PostgreSQL keeps it open and refusing: the driver would take it for ended (its COMMIT was in this
    // script), and the next BEGIN would commit it (MySQL) or fail (PostgreSQL).
    if (rollbackOnError) await slot.query('ROLLBACK', []).catch(() => undefined);
    throw err;
  }
}
