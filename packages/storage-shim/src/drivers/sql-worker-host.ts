import { type MessagePort, parentPort, workerData } from 'node:worker_threads';

/**
 * The worker side of sql-bridge.ts, for any database client: it receives
 * queries, runs them on the named connection and answers either on the sync
 * port (waking the thread that waits in Atomics.wait) or as an ordinary
 * message. Two connections: `writer` holds a batch's transaction, `reader`
 * answers reads outside a batch (and compaction) at the committed state.
 * Each connection runs its queries in the order they arrive.
 */
export interface WorkerConnections {
  /** Settles when both connections are open; a query waits for it. */
  readonly ready: Promise<unknown>;
  query(conn: 'writer' | 'reader', text: string, params: unknown[]): Promise<{ rows: unknown[]; rowCount: number }>;
  close(): Promise<unknown>;
}

interface Request {
  id: number;
  conn: 'writer' | 'reader';
  text: string;
  params: unknown[];
  /** Answer on the sync port and wake the waiting thread, or post back asynchronously. */
  sync: boolean;
}

export function serveQueries(open: (config: unknown) => WorkerConnections): void {
  const { config, port, flag } = workerData as { config: unknown; port: MessagePort; flag: Int32Array };
  const connections = open(config);
  // A connection that fails before the first query arrives (a host that does not resolve fails at once) would
  // otherwise be an unhandled rejection, which ends the worker: the waiting thread would hear nothing until its
  // timeout. Every query still sees the failure through its own `ready.then`.
  connections.ready.catch(() => undefined);

  const answer = (req: Request, reply: object): void => {
    if (req.sync) {
      // Post, then count: the waiting thread looks for its answer whenever the count moves.
      port.postMessage({ id: req.id, ...reply });
      Atomics.add(flag, 0, 1);
      Atomics.notify(flag, 0);
    } else {
      parentPort!.postMessage({ id: req.id, ...reply });
    }
  };

  parentPort!.on('message', (req: Request | 'close') => {
    if (req === 'close') {
      void connections.ready
        .catch(() => undefined)
        .then(() => connections.close())
        .catch(() => undefined)
        .finally(() => parentPort!.postMessage('closed'));
      return;
    }
    // Structured clone turns Buffers into Uint8Arrays; the clients send a Buffer as bytes.
    const params = req.params.map((p) => (p instanceof Uint8Array ? Buffer.from(p.buffer, p.byteOffset, p.length) : p));
    connections.ready
      .then(() => connections.query(req.conn, req.text, params))
      .then(
        (r) => answer(req, r),
        (err: unknown) => {
          const e = err as { message?: string; code?: string };
          answer(req, { error: { message: e.message ?? String(err), code: e.code } });
        },
      );
  });
}
