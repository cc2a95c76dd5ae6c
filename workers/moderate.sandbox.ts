/**
 * Sandboxed moderate processor: BullMQ forks a child (or starts a worker thread) that imports
 * the compiled `dist/workers/moderate.sandbox.js` and calls its default export per job, so
 * parsing and classifying never block the parent's lock renewals. Children are reused: the store
 * is opened once per child, and each model version is loaded once (the current version is looked
 * up per job, so a promoted model is used without a restart).
 *
 * Environment (set by the parent): WINNOW_DB (SQLite file), WINNOW_ENGINE, WINNOW_MODEL_DIR,
 * WINNOW_JOB_TIMEOUT_MS.
 */
import type { SandboxedJob } from 'bullmq';
import { loadConfig } from '../src/config.js';
import { createModerateProcessor, modelsIn, type ModerateProcessor } from './processors/moderate.js';
import type { ModerateJobData, ModerateJobResult } from './queues.js';
import { openStageStore } from './store.js';
import { Watchdog } from './watchdog.js';

interface Child {
  run: ModerateProcessor;
  timeoutMs: number;
}

let child: Promise<Child> | undefined;
const watchdog = new Watchdog();

async function start(): Promise<Child> {
  const config = loadConfig();
  const store = await openStageStore(config);
  process.once('exit', () => void store.close());
  return { run: createModerateProcessor({ store, models: modelsIn(), engine: config.engine }), timeoutMs: config.jobTimeoutMs };
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
    // Let the next job try again (database or model not there yet); this one is retried.
    child = undefined;
    throw error;
  }
  watchdog.arm(ready.timeoutMs);
  try {
    return await ready.run(job, token, signal);
  } finally {
    watchdog.disarm();
  }
}
