/**
 * Sandboxed moderate processor: BullMQ forks a child (or starts a worker thread) that imports
 * the compiled `dist/workers/moderate.sandbox.js` and calls its default export per job, so
 * parsing and classifying never block the parent's lock renewals. Children are reused: the store
 * is opened once per child, and each model version is loaded once (the current version is looked
 * up per job, so a promoted model is used without a restart).
 *
 * A child never outlives its parent (see {@link exitWithParent}).
 *
 * Environment (set by the parent): WINNOW_DB (SQLite file), WINNOW_ENGINE, WINNOW_MODEL_DIR,
 * WINNOW_JOB_TIMEOUT_MS, WINNOW_OUTAGE_PROBE_MS.
 */
import { isMainThread } from 'node:worker_threads';
import type { SandboxedJob } from 'bullmq';
import { loadConfig } from '../src/config.js';
import { isStoreUnavailable, waitForStore } from './outage.js';
import { createModerateProcessor, modelsIn, type ModerateProcessor } from './processors/moderate.js';
import type { ModerateJobData, ModerateJobResult } from './queues.js';
import { openStageStore } from './store.js';
import { Watchdog } from './watchdog.js';

/** How often a child checks that its parent is still there (besides the IPC `disconnect` event). */
const PARENT_CHECK_MS = 1000;
/** Uncaught errors within {@link ERROR_WINDOW_MS} after which a child gives up and exits. */
const MAX_ERRORS_IN_WINDOW = 5;
const ERROR_WINDOW_MS = 1000;

interface Child {
  run: ModerateProcessor;
  timeoutMs: number;
}

const config = loadConfig();
let child: Promise<Child> | undefined;
const watchdog = new Watchdog();

/**
 * End this child when its parent is gone, and when it is caught in a loop of uncaught errors.
 *
 * BullMQ's child wrapper (bullmq main-base.js) answers an uncaught exception by sending it to the
 * parent and then exiting; with the parent dead the send rejects, the rejection is itself
 * uncaught, and the child spins in that loop at full CPU forever. So: exit on the IPC
 * `disconnect` event (the parent died or closed the channel), on a changed parent pid (checked
 * every second by the watchdog thread, even while a job keeps the main thread busy), and on a
 * burst of uncaught errors.
 * A worker thread shares its parent's process and needs none of this.
 */
function exitWithParent(): void {
  if (!isMainThread || typeof process.send !== 'function') return;
  process.once('disconnect', () => process.exit(0));
  // The event waits for the main thread, which may be seconds into a page: the watchdog's own
  // thread also watches the parent pid and ends the process at once.
  watchdog.watchParent(process.ppid, PARENT_CHECK_MS);
  let errors: number[] = [];
  const onError = (): void => {
    if (!process.connected) process.exit(1);
    const now = Date.now();
    errors = [...errors.filter((at) => now - at < ERROR_WINDOW_MS), now];
    if (errors.length >= MAX_ERRORS_IN_WINDOW) process.exit(1);
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
}

exitWithParent();

async function start(): Promise<Child> {
  const store = await openStageStore(config);
  process.once('exit', () => void store.close());
  return {
    run: createModerateProcessor({ store, models: modelsIn(), engine: config.engine, outageWaitMs: config.outageProbeMs }),
    timeoutMs: config.jobTimeoutMs,
  };
}

export default async function moderateSandboxed(
  job: SandboxedJob<ModerateJobData, ModerateJobResult>,
  token?: string,
  signal?: AbortSignal,
): Promise<ModerateJobResult> {
  child ??= start();
  let ready: Child;
  try {
    ready = await child;
  } catch (error) {
    // Let the next job try again (database or model not there yet). A store that cannot be
    // reached puts this job off without an attempt; anything else fails the attempt.
    child = undefined;
    if (isStoreUnavailable(error)) return waitForStore(job, token, config.outageProbeMs, error);
    throw error;
  }
  watchdog.arm(ready.timeoutMs);
  try {
    return await ready.run(job, token, signal);
  } finally {
    watchdog.disarm();
  }
}
