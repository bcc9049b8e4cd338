import Database from 'better-sqlite3';
import { parentPort } from 'node:worker_threads';

/**
 * Runs WAL checkpoints on its own connections, in its own thread. A
 * checkpoint writes and fsyncs the database file; on the main thread that
 * would stall every request behind it.
 */
const connections = new Map<string, Database.Database>();

parentPort!.on('message', (message: { paths: string[] } | 'close') => {
  if (message === 'close') {
    for (const db of connections.values()) db.close();
    parentPort!.postMessage('closed');
    return;
  }
  for (const path of message.paths) {
    let db = connections.get(path);
    if (!db) {
      db = new Database(path);
      db.pragma('busy_timeout = 1000');
      connections.set(path, db);
    }
    try {
      // PASSIVE never blocks the writer; frames still in use are copied next time.
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      parentPort!.postMessage({ error: `${path}: ${(err as Error).message}` });
    }
  }
  parentPort!.postMessage('done');
});
