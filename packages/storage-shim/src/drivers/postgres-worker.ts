import pg from 'pg';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';

/**
 * The PostgreSQL connections of one backend, in their own thread, so that
 * postgres-bridge.ts can wait for a query synchronously (Atomics.wait) while
 * the query runs here. Two connections: `writer` holds a batch's transaction,
 * `reader` answers reads outside a batch (and compaction) at the committed state.
 */
interface Request {
  id: number;
  conn: 'writer' | 'reader';
  text: string;
  params: unknown[];
  /** Answer on the sync port and wake the waiting thread, or post back asynchronously. */
  sync: boolean;
}

const { config, port, flag } = workerData as { config: pg.ClientConfig; port: MessagePort; flag: Int32Array };
const clients = { writer: new pg.Client(config), reader: new pg.Client(config) };
// BIGINT columns come back as text; the driver converts them, so nothing is lost above 2^53.
const ready = Promise.all([clients.writer.connect(), clients.reader.connect()]);

function answer(req: Request, reply: object): void {
  if (req.sync) {
    port.postMessage({ id: req.id, ...reply });
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  } else {
    parentPort!.postMessage({ id: req.id, ...reply });
  }
}

parentPort!.on('message', (req: Request | 'close') => {
  if (req === 'close') {
    void ready
      .catch(() => undefined)
      .then(() => Promise.all([clients.writer.end(), clients.reader.end()]))
      .finally(() => parentPort!.postMessage('closed'));
    return;
  }
  // Structured clone turns Buffers into Uint8Arrays; pg sends a Buffer as bytea.
  const params = req.params.map((p) => (p instanceof Uint8Array ? Buffer.from(p.buffer, p.byteOffset, p.length) : p));
  ready
    .then(() => clients[req.conn].query({ text: req.text, values: params }))
    .then(
      (result) => {
        // A script of several statements (a migration) answers with one result each; the last one counts.
        const r = (Array.isArray(result) ? result.at(-1) : result) as pg.QueryResult;
        answer(req, { rows: r.rows as unknown[], rowCount: r.rowCount ?? 0 });
      },
      (err: unknown) => {
        const e = err as { message?: string; code?: string };
        answer(req, { error: { message: e.message ?? String(err), code: e.code } });
      },
    );
});
