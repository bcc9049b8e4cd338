import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { isConnectionError } from './connection-errors.js';
import {
  type ConnectionRequest,
  type RequestError,
  type RequestResult,
  requestError,
  runRequest,
} from './connection-request.js';
import { keptRows, postableParams } from './posted-bytes.js';
import type { KeyValue } from '../types.js';
import { type Connector, ReconnectingConnection } from './reconnecting-connection.js';
import { revisionRowsToKeyValues, unpackRevisionRows } from './revision-rows.js';
import type { ScriptStatement, WorkerRequest } from './sql-worker-host.js';

export type { ScriptStatement } from './sql-worker-host.js';

export interface QueryResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number;
  /** A script's answer: each statement's result, in order (`rows` and `rowCount` are the last one's). */
  results?: QueryResult[];
}

type Reply = QueryResult & {
  id: number;
  error?: RequestError;
  packed?: ArrayBuffer;
  packedResults?: ArrayBuffer[];
  /** Revision rows read on the main thread's connection: nothing was packed. */
  kvs?: KeyValue[];
  kvsResults?: KeyValue[][];
};

/** A request as sql-bridge.ts builds it, before it is given an ID and a way to answer. */
type Request = ConnectionRequest & { conn: 'writer' | 'reader'; packed?: boolean };

/** A database server's error, with its code (SQLSTATE, or mysql2's name); the message never holds the endpoint. */
export class BackendQueryError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }

  /** The connection failed, not the statement: the server is down, restarting or unreachable; retrying may work. */
  get connectionLost(): boolean {
    return this.code === 'TIMEOUT' || isConnectionError(this);
  }
}

/**
 * Synchronous queries over an asynchronous database client: the connections
 * live in a worker (postgres-worker.ts, mysql-worker.ts, both built on
 * sql-worker-host.ts) and this thread waits on a shared flag until the
 * answer is there. It blocks the event loop for one round trip per read,
 * which is what the synchronous read side of mvcc/backend.ts costs a network
 * database until reads are prefetched per batch; commits and compaction do
 * not block (`queryAsync`).
 *
 * An asynchronous request that stands alone (a read, or a whole transaction
 * in one script) and finds nothing else in flight runs on a connection of
 * this thread instead (`local`). Crossing to the worker and back costs two
 * thread wake-ups, about 0.13–0.2 ms on a two-core machine: at concurrency 1
 * that is a sixth of a write, and there is nothing for the worker to do in
 * parallel. Under load the worker takes them again, and parses answers and
 * packs rows beside this thread. A request that belongs to a transaction the
 * worker's writer holds (a batch under the replicas' lock, its ROLLBACK)
 * always goes there.
 */
export class SqlBridge {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  readonly #pending = new Map<number, { resolve(r: QueryResult): void; reject(e: Error): void }>();
  readonly #server: string;
  readonly #timeoutMs: number;
  /** The connection of this thread; undefined without a connector, or with no connection to spare (`readPool` 0). */
  readonly #local: ReconnectingConnection<unknown> | undefined;
  #localBusy = false;
  #next = 0;
  /** How many asynchronous requests ran on this thread's connection, and how many in the worker. */
  readonly routed = { local: 0, worker: 0 };
  /**
   * Turns a lost connection into the error callers should see (the driver
   * sets it once the backend is open: a retryable UNAVAILABLE naming it).
   */
  unavailable: ((err: BackendQueryError) => Error) | undefined;
  /**
   * While set, every query throws what it returns instead of being sent: an
   * optimistic batch is being applied, and must not reach the database
   * before its guard does (network-sql-driver.ts `speculate`).
   */
  refuse: (() => Error) | undefined;

  /**
   * `server` names the database in messages ("PostgreSQL"); `config` is what
   * the worker connects with; `readPool` how many connections are kept for
   * asynchronous reads besides the writer and the reader (0: they share the
   * reader). With a `connector`, one of them is this thread's own, opened
   * with `config` as the worker's are.
   */
  constructor(
    worker: URL,
    options: {
      config: unknown;
      server: string;
      timeoutMs?: number;
      readPool?: number;
      connector?: (config: unknown) => Connector<unknown>;
    },
  ) {
    const { config, server, timeoutMs = 30_000, readPool = 0, connector } = options;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#server = server;
    this.#timeoutMs = timeoutMs;
    this.#local = connector && readPool > 0 ? new ReconnectingConnection(connector(config)) : undefined;
    this.#worker = new Worker(worker, {
      workerData: { config, port: port2, flag: this.#flag, readPool: this.#local ? readPool - 1 : readPool },
      transferList: [port2],
    });
    this.#worker.unref();
    this.#worker.on('message', (m: Reply | 'closed') => {
      if (m === 'closed') return;
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.error) p.reject(this.#error(m.error));
      else p.resolve(toBuffers(m));
    });
  }

  /**
   * A session setting for `conn`: applied now, and by the worker to every
   * connection it opens later. This thread's connection runs reads and whole
   * transactions, a writer's among them, so it takes every setting too.
   */
  session(conn: 'writer' | 'reader', text: string): QueryResult {
    const result = this.query(conn, text, [], true);
    this.#local?.adoptSession(text);
    return result;
  }

  query(conn: 'writer' | 'reader', text: string, params: unknown[] = [], session = false): QueryResult {
    return this.#wait({ conn, text, params, session });
  }

  /**
   * Statements run in order on `conn` in one round trip to the worker (and
   * one to the server where its client sends several at once), stopping at
   * the first that fails; answers with the last one's result, and each
   * one's in `results`.
   * `rollbackOnError`: the script is a whole transaction, rolled back by the
   * worker if a statement of it fails.
   */
  script(conn: 'writer' | 'reader', script: ScriptStatement[]): QueryResult {
    return this.#wait({ conn, text: '', params: [], script });
  }

  scriptAsync(conn: 'writer' | 'reader', script: ScriptStatement[], rollbackOnError = false): Promise<QueryResult> {
    return this.#post({ conn, text: '', params: [], script, rollbackOnError });
  }

  /**
   * A whole transaction as one script, BEGIN first and COMMIT last, rolled
   * back if a statement of it fails. Nothing of it was sent before and
   * nothing follows, so it may run on any connection: on this thread's when
   * nothing else is in flight, otherwise on the worker's writer.
   */
  transactionAsync(script: ScriptStatement[]): Promise<QueryResult> {
    if (!/^\s*(BEGIN|START)\b/i.test(script[0]?.text ?? '') || !/^\s*COMMIT\s*$/i.test(script.at(-1)?.text ?? '')) {
      return Promise.reject(new Error('a transaction script must begin with BEGIN and end with COMMIT'));
    }
    return this.#post({ conn: 'writer', text: '', params: [], script, rollbackOnError: true }, true);
  }

  #wait(req: Request): QueryResult {
    if (this.refuse) throw this.refuse();
    const id = this.#next++;
    // The flag counts the answers the worker has put on the port; the answers
    // themselves say which query they belong to. Read the count, look for
    // this query's answer, and sleep only while the count is unchanged: a
    // wake-up for any other reason (another answer's notify arriving late)
    // just looks again, and nothing posted in between is missed.
    let seen = Atomics.load(this.#flag, 0);
    this.#worker.postMessage(message(req, id, true));
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      const reply = this.#take(id);
      if (reply) {
        if (reply.error) throw this.#error(reply.error);
        return toBuffers(reply);
      }
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.#flag, 0, seen, left) === 'timed-out') {
        // The worker cannot take back a statement it has sent: the server may still run it, and a write of
        // it may yet commit. Say so, as etcd's "request timed out" does, rather than imply it failed.
        throw this.#error({
          message: `no answer from ${this.#server} within ${this.#timeoutMs} ms; the statement may still complete there, so the outcome of a write is unknown`,
          code: 'TIMEOUT',
        });
      }
      seen = Atomics.load(this.#flag, 0);
    }
  }

  #error(e: RequestError): Error {
    const err = new BackendQueryError(e.message, e.code);
    return this.unavailable && err.connectionLost ? this.unavailable(err) : err;
  }

  /** This query's answer if it is on the port, dropping late answers to queries that timed out. */
  #take(id: number): Reply | undefined {
    for (;;) {
      const reply = receiveMessageOnPort(this.#port)?.message as Reply | undefined;
      if (!reply || reply.id === id) return reply;
      if (reply.id > id) throw new BackendQueryError(`${this.#server} answered a query not yet asked`, undefined);
    }
  }

  queryAsync(conn: 'writer' | 'reader', text: string, params: unknown[] = []): Promise<QueryResult> {
    return this.#post({ conn, text, params });
  }

  /**
   * A statement that selects revision rows (a Range's page), read without
   * blocking: the worker packs them into one buffer and transfers it, and
   * each row's key and value are views of it (revision-rows.ts).
   */
  async revisionsAsync(conn: 'writer' | 'reader', text: string, params: unknown[] = []): Promise<KeyValue[]> {
    const reply = (await this.#post({ conn, text, params, packed: true })) as Reply;
    return reply.kvs ?? unpackRevisionRows(reply.packed!);
  }

  /** `revisionsAsync`, waiting for the answer (the synchronous reads of mvcc/backend.ts). */
  revisions(conn: 'writer' | 'reader', text: string, params: unknown[] = []): KeyValue[] {
    return unpackRevisionRows((this.#wait({ conn, text, params, packed: true }) as Reply).packed!);
  }

  /**
   * A script whose statements select revision rows (the halves of a Range
   * in one transaction), read without blocking: each statement's rows,
   * packed as `revisionsAsync`'s are (none for a statement that selects
   * nothing). The script is rolled back if a statement of it fails.
   */
  async revisionScriptAsync(conn: 'writer' | 'reader', script: ScriptStatement[]): Promise<KeyValue[][]> {
    const reply = (await this.#post({
      conn,
      text: '',
      params: [],
      script,
      rollbackOnError: true,
      packed: true,
    })) as Reply;
    return reply.kvsResults ?? reply.packedResults!.map(unpackRevisionRows);
  }

  /** `revisionScriptAsync`, waiting for the answer. */
  revisionScript(conn: 'writer' | 'reader', script: ScriptStatement[]): KeyValue[][] {
    const reply = this.#wait({ conn, text: '', params: [], script, rollbackOnError: true, packed: true }) as Reply;
    return reply.packedResults!.map(unpackRevisionRows);
  }

  /** `whole`: the request is a transaction of its own (`transactionAsync`); any read on `reader` stands alone too. */
  #post(req: Request, whole = false): Promise<QueryResult> {
    if (this.refuse) return Promise.reject(this.refuse());
    if (this.#local && !this.#localBusy && this.#pending.size === 0 && (whole || req.conn === 'reader')) {
      return this.#runLocal(this.#local, req);
    }
    this.routed.worker++;
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage(message(req, id, false));
    });
  }

  async #runLocal(local: ReconnectingConnection<unknown>, req: Request): Promise<Reply> {
    this.routed.local++;
    this.#localBusy = true;
    let r: RequestResult;
    try {
      r = await runRequest(local, req);
    } catch (err) {
      throw this.#error(requestError(err));
    } finally {
      this.#localBusy = false;
    }
    if (!req.packed) {
      // A script's last result is the same rows as `rows`: changed in place once, it is right in both.
      const results = r.results?.map((x) => ({ rows: keptRows(x.rows), rowCount: x.rowCount }));
      const rows = results ? (r.rows as Array<Record<string, unknown>>) : keptRows(r.rows);
      return { id: -1, rows, rowCount: r.rowCount, ...(results ? { results } : {}) };
    }
    if (r.results)
      return {
        id: -1,
        rows: [],
        rowCount: r.rowCount,
        kvsResults: r.results.map((x) => revisionRowsToKeyValues(x.rows)),
      };
    return { id: -1, rows: [], rowCount: r.rowCount, kvs: revisionRowsToKeyValues(r.rows) };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.#worker.on('message', (m) => m === 'closed' && resolve());
    });
    this.#worker.postMessage('close');
    await Promise.all([Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]), this.#local?.close()]);
    this.#port.close();
    await this.#worker.terminate();
  }
}

/** A request as posted: each parameter's bytes copied out of the larger buffer it may view (posted-bytes.ts). */
function message(req: Request, id: number, sync: boolean): WorkerRequest {
  const script = req.script?.map((s) => ({ text: s.text, params: postableParams(s.params) }));
  return { ...req, id, sync, params: postableParams(req.params), ...(script ? { script } : {}) };
}

// Structured clone turns Buffers into Uint8Arrays on the way back.
function toBuffers(reply: Reply): QueryResult {
  if (reply.packed || reply.packedResults) return reply;
  const fix = (result: QueryResult) => {
    for (const row of result.rows) {
      for (const [k, v] of Object.entries(row)) {
        if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.length);
      }
    }
  };
  if (reply.results) {
    // The last result's rows are the same objects as `rows` (one structured clone keeps them shared).
    for (const r of reply.results) fix(r);
    return { rows: reply.rows, rowCount: reply.rowCount, results: reply.results };
  }
  fix(reply);
  return { rows: reply.rows, rowCount: reply.rowCount };
}
