import { type MessagePort, parentPort, workerData } from 'node:worker_threads';

/**
 * A stand-in for a database worker (sql-worker-host.ts's protocol) whose
 * timing the query text chooses, for sql-bridge.test.ts:
 * - `late-notify …`: first one extra notify, as the previous answer's would
 *   arrive late from a thread preempted between counting and notifying,
 *   while the caller already waits for this one; then the answer;
 * - `slow …`: the answer comes after 1200 ms;
 * - anything else: answered at once.
 * Each answer's only row is `{ text }`.
 */
const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(pause, 0, 0, ms);

parentPort!.on('message', (req: { id: number; text: string; sync: boolean } | 'close') => {
  if (req === 'close') {
    parentPort!.postMessage('closed');
    return;
  }
  if (req.text.startsWith('late-notify')) {
    sleep(20); // the caller is waiting by now
    Atomics.notify(flag, 0);
    sleep(50); // the answer itself takes a while
  }
  if (req.text.startsWith('slow')) sleep(1_200);
  port.postMessage({ id: req.id, rows: [{ text: req.text }], rowCount: 1 });
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
