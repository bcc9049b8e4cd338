import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { isConnectionError } from './connection-errors.js';
import { postableParams } from './posted-bytes.js';
import type { KeyValue } from '../types.js';
import { unpackRevisionRows } from './revision-rows.js';
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
  error?: { message: string; code?: string };
  packed?: ArrayBuffer;
  packedResults?: ArrayBuffer[];
};

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
 */
export class SqlBridge {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  readonly #pending = new Map<number, { resolve(r: QueryResult): void; reject(e: Error): void }>();
  readonly #server: string;
  readonly #timeoutMs: number;
  #next = 0;
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
   * the worker connects with; `readPool` how many connections it keeps for
   * asynchronous reads on `reader` (0: they share the reader).
   */
  constructor(worker: URL, options: { config: unknown; server: string; timeoutMs?: number; readPool?: number }) {
    const { config, server, timeoutMs = 30_000, readPool = 0 } = options;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#server = server;
    this.#timeoutMs = timeoutMs;
    this.#worker = new Worker(worker, {
      workerData: { config, port: port2, flag: this.#flag, readPool },
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

  /** A session setting for `conn`: applied now, and by the worker to every connection it opens later. */
  session(conn: 'writer' | 'reader', text: string): QueryResult {
    return this.query(conn, text, [], true);
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

  #wait(req: Omit<WorkerRequest, 'id' | 'sync'>): QueryResult {
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

  #error(e: { message: string; code?: string | undefined }): Error {
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
    return unpackRevisionRows(reply.packed!);
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
    return reply.packedResults!.map(unpackRevisionRows);
  }

  /** `revisionScriptAsync`, waiting for the answer. */
  revisionScript(conn: 'writer' | 'reader', script: ScriptStatement[]): KeyValue[][] {
    const reply = this.#wait({ conn, text: '', params: [], script, rollbackOnError: true, packed: true }) as Reply;
    return reply.packedResults!.map(unpackRevisionRows);
  }

  #post(req: Omit<WorkerRequest, 'id' | 'sync'>): Promise<QueryResult> {
    if (this.refuse) return Promise.reject(this.refuse());
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage(message(req, id, false));
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.#worker.on('message', (m) => m === 'closed' && resolve());
    });
    this.#worker.postMessage('close');
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
    this.#port.close();
    await this.#worker.terminate();
  }
}

/** A request as posted: each parameter's bytes copied out of the larger buffer it may view (posted-bytes.ts). */
function message(req: Omit<WorkerRequest, 'id' | 'sync'>, id: number, sync: boolean): WorkerRequest {
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
