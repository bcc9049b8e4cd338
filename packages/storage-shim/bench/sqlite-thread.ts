/**
 * `--sqlite-thread=main|worker` of the benches (main.ts, write-rows.ts): the
 * store's keys in one routed SQLite file, `sqlite://bench.db` (main: its
 * statements on the event loop's thread, as main.db's) or
 * `sqlite://bench.db?thread=worker` (on a worker thread of its own,
 * sqlite-thread-driver.ts). Both go through the same topology, so `main`
 * against `worker` differs in the thread alone; without the flag the store
 * runs as it ships, on main.db with no topology.
 */
import { isSqliteThread, SQLITE_THREADS, type SqliteThread } from '../src/drivers/sqlite-endpoint.js';

export type { SqliteThread };

/** The flag's value, or why it is refused. */
export function parseSqliteThread(value: string | undefined): SqliteThread | undefined | Error {
  if (value === undefined) return undefined;
  if (isSqliteThread(value)) return value;
  return new Error(`--sqlite-thread must be one of ${SQLITE_THREADS.join(', ')}, not ${value}`);
}

/** The topology that puts every key starting with `/` (all the benches write) in one SQLite file. */
export function sqliteThreadTopology(thread: SqliteThread): string {
  const endpoint = thread === 'worker' ? 'sqlite://bench.db?thread=worker' : 'sqlite://bench.db';
  return `backends:\n  - name: bench\n    endpoint: "${endpoint}"\n    prefix: { prefix: "/" }\n`;
}

/** How the section names the store's backend. */
export function sqliteThreadLine(thread: SqliteThread): string {
  return thread === 'worker'
    ? 'backend: the store\'s keys in one routed SQLite file whose statements run on a worker thread of its own (`sqlite://bench.db?thread=worker`, prefix "/"); main.db keeps the edge keys'
    : 'backend: the store\'s keys in one routed SQLite file on the main thread (`sqlite://bench.db`, prefix "/"), the control for `?thread=worker`; main.db keeps the edge keys';
}
