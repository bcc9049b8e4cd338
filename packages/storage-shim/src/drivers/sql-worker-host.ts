import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type ConnectionRequest, type RequestResult, requestError, runRequest } from './connection-request.js';
import { ReconnectingConnection, type Connector } from './reconnecting-connection.js';
import { postableRows } from './posted-bytes.js';
import { packRevisionRows } from './revision-rows.js';

export type { Connector, ScriptStatement } from './reconnecting-connection.js';

/**
 * The worker side of sql-bridge.ts, for any database client: it receives
 * queries, runs them on the named connection and answers either on the sync
 * port (waking the thread that waits in Atomics.wait) or as an ordinary
 * message. `writer` holds a batch's transaction; `reader` answers reads
 * outside a batch (and compaction) at the committed state, the asynchronous
 * ones on a pool of reader connections (`readPool`) when there is one. The
 * asynchronous requests that find the main thread's own connection free run
 * there instead (sql-bridge.ts) and never reach this thread. Each connection runs its queries in the order they arrive.
 * A connection that ends is opened again by the next query that needs it
 * (reconnecting-connection.ts), so the store carries on by itself once the
 * server is back.
 */

/** A message to the worker: sql-bridge.ts sends it. */
export interface WorkerRequest extends ConnectionRequest {
  id: number;
  conn: 'writer' | 'reader';
  /** Answer on the sync port and wake the waiting thread, or post back asynchronously. */
  sync: boolean;
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
  const reply = (req: WorkerRequest, r: RequestResult): void => {
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
    const onPool = req.conn === 'reader' && !req.sync && !req.session && pool.length > 0;
    const run = onPool ? pooled((conn) => runRequest(conn, req)) : runRequest(slots[req.conn], req);
    run.then(
      (r) => reply(req, r),
      (err: unknown) => answer(req, { error: requestError(err) }),
    );
  });
}

/**
 * An answer as posted: the bytes of each row copied out of the buffers the
 * client parsed them into (posted-bytes.ts). A script's last result keeps
 * sharing its rows with `rows`, so that they cross only once.
 */
function postable(r: RequestResult): RequestResult {
  if (!r.results) return { rows: postableRows(r.rows), rowCount: r.rowCount };
  const results = r.results.map((result) => ({ rows: postableRows(result.rows), rowCount: result.rowCount }));
  return { rows: results.at(-1)?.rows ?? postableRows(r.rows), rowCount: r.rowCount, results };
}
