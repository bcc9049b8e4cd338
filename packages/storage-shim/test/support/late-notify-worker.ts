import { type MessagePort, parentPort, workerData } from 'node:worker_threads';

/**
 * A stand-in for a database worker (sql-worker-host.ts's protocol) whose
 * thread is preempted between setting the answered flag and notifying: before
 * each answer after the first, it sends one extra notify, as the previous
 * answer's would arrive late, while the caller already waits for this one.
 */
const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
const pause = new Int32Array(new SharedArrayBuffer(4));
let answered = 0;

parentPort!.on('message', (req: { id: number; text: string; sync: boolean } | 'close') => {
  if (req === 'close') {
    parentPort!.postMessage('closed');
    return;
  }
  if (answered++ > 0) {
    Atomics.wait(pause, 0, 0, 20); // the caller is waiting by now
    Atomics.notify(flag, 0);
    Atomics.wait(pause, 0, 0, 50); // the answer itself takes a while
  }
  port.postMessage({ id: req.id, rows: [{ text: req.text }], rowCount: 1 });
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
