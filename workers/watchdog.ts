import { isMainThread, Worker } from 'node:worker_threads';

/**
 * Signal a watchdog sends to its process when a job runs over time. SIGALRM ends a Node process
 * by default (Node installs no handler for it), even while the main thread is stuck in
 * synchronous code, and the parent sees which signal ended the child.
 */
export const TIMEOUT_SIGNAL = 'SIGALRM';

// Runs in its own thread with its own event loop, so its timer fires even while the main thread
// is busy parsing a page.
// A message is a time limit in ms (0 disarms), or { parent, everyMs }: end the process, at once,
// when its parent process is gone (its parent pid changes), checked every everyMs.
const WATCHDOG_SOURCE = `
const { parentPort } = require('node:worker_threads');
let timer;
parentPort.on('message', (message) => {
  if (typeof message === 'object') {
    setInterval(() => {
      if (process.ppid !== message.parent) process.kill(process.pid, 'SIGKILL');
    }, message.everyMs);
    return;
  }
  clearTimeout(timer);
  if (message > 0) timer = setTimeout(() => process.kill(process.pid, '${TIMEOUT_SIGNAL}'), message);
});
`;

/**
 * A hard time limit for a sandboxed child process: `arm(ms)` before a job, `disarm()` after.
 * When the limit passes the whole child process is ended with {@link TIMEOUT_SIGNAL}; BullMQ then
 * fails the job (retryably) and forks a fresh child for the next one.
 *
 * Only a child process can be ended this way. Inside a worker thread (BullMQ's
 * `useWorkerThreads`) the watchdog does nothing, because ending the process would end the
 * parent worker; the job's abort signal is the only limit there.
 */
export class Watchdog {
  private thread: Worker | undefined;

  /** False in a worker thread, where there is no process of our own to end. */
  get enabled(): boolean {
    return isMainThread;
  }

  arm(ms: number): void {
    if (!this.enabled) return;
    this.thread ??= this.start();
    this.thread.postMessage(ms);
  }

  disarm(): void {
    this.thread?.postMessage(0);
  }

  /**
   * End this process (SIGKILL) within `everyMs` of its parent process dying, even while the main
   * thread is busy with a page: the orphan has no one to report to, and what it was writing is
   * a transaction the store rolls back.
   */
  watchParent(parent: number, everyMs: number): void {
    if (!this.enabled) return;
    this.thread ??= this.start();
    this.thread.postMessage({ parent, everyMs });
  }

  private start(): Worker {
    const thread = new Worker(WATCHDOG_SOURCE, { eval: true });
    // Never the reason a child stays alive.
    thread.unref();
    return thread;
  }
}
