import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type DefaultJobOptions, type Job, type Queue, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig, type WinnowConfig } from '../src/config.js';
import type { FetchOptions } from '../src/fetch/options.js';
import type { Store } from '../src/storage/store.js';
import { RobotsCache } from '../src/fetch/robots.js';
import { retryAfterBackoff } from './backoff.js';
import { HostPoliteness } from './politeness.js';
import { createFetchProcessor } from './processors/fetch.js';
import { createReprocessProcessor } from './processors/reprocess.js';
import {
  createQueues,
  createReprocessQueue,
  createWorkerConnection,
  FETCH_QUEUE,
  MODERATE_QUEUE,
  REPROCESS_QUEUE,
  STAGES,
  type ReprocessJobData,
  type ReprocessJobResult,
  type FetchJobData,
  type FetchJobResult,
  type ModerateJobData,
  type ModerateJobResult,
  type Stage,
} from './queues.js';
import { openStageStore } from './store.js';
import { isOutageProgress, StoreOutageGate } from './outage.js';
import { failureOfReason, startReconciler, type Reconciler } from './reconciler.js';
import { submissionLedgerOf } from './submissions.js';

/** Settings of the worker process; each defaults to the config (see src/config.ts). */
export type WorkerSettings = Pick<
  WinnowConfig,
  | 'redisUrl'
  | 'queuePrefix'
  | 'fetchConcurrency'
  | 'moderateConcurrency'
  | 'jobTimeoutMs'
  | 'shutdownTimeoutMs'
  | 'useWorkerThreads'
  | 'databasePath'
  | 'engine'
  | 'respectRobots'
  | 'hostConcurrency'
  | 'hostDelayMs'
  | 'lockDurationMs'
  | 'stalledIntervalMs'
  | 'maxStalledCount'
  | 'fetchConnectTimeoutMs'
  | 'fetchTimeoutMs'
  | 'fetchMaxBytes'
  | 'maxRetryAfterMs'
  | 'reconcileIntervalMs'
  | 'reconcileAfterMs'
  | 'maxRequeues'
  | 'outageProbeMs'
>;

export interface StartWorkersOptions extends Partial<WorkerSettings> {
  /**
   * PostgreSQL URL; otherwise results go to the SQLite file `databasePath`. Passed on to the
   * sandboxed children as DATABASE_URL ('' forces SQLite).
   * @defaultValue env DATABASE_URL
   */
  databaseUrl?: string;
  /** Stages to run in this process. @defaultValue ['fetch', 'moderate'] */
  stages?: readonly Stage[];
  /**
   * Store the fetch stage writes to and failures are recorded in; the caller closes it.
   * Sandboxed moderate children always open their own (`databaseUrl` or `databasePath`).
   * @defaultValue the store of `databaseUrl`/`databasePath`, opened here and closed by `close()`
   */
  store?: Store;
  /** Options of the moderate jobs the fetch stage adds. @defaultValue DEFAULT_JOB_OPTIONS */
  jobOptions?: DefaultJobOptions;
  /**
   * Passed to fetchPage (allow-list, limits); set fields win over the fetch settings
   * (`fetchConnectTimeoutMs`, `fetchTimeoutMs`, `fetchMaxBytes`).
   */
  fetchOptions?: FetchOptions;
  /**
   * Lock and stall tuning for every worker; set fields win over the settings `lockDurationMs`,
   * `stalledIntervalMs` and `maxStalledCount`.
   */
  workerOptions?: Pick<WorkerOptions, 'lockDuration' | 'lockRenewTime' | 'stalledInterval' | 'maxStalledCount'>;
  /**
   * Models folder of the moderate stage (passed to sandboxed children as WINNOW_MODEL_DIR).
   * @defaultValue env WINNOW_MODEL_DIR, else `<package>/models`
   */
  modelDir?: string;
  /** Compiled sandboxed processor. @defaultValue `<package>/dist/workers/moderate.sandbox.js` */
  moderateProcessorFile?: string;
  /** Where progress and failures are logged. @defaultValue stderr */
  log?: (line: string) => void;
}

export interface WorkersHandle {
  /** The running bullmq workers: one per stage, and the reprocess worker with the moderate stage. */
  workers: Worker[];
  /** The periodic stage reconciler of this process, unless `reconcileIntervalMs` is 0. */
  reconciler?: Reconciler;
  /** Pauses the workers while the store is unreachable. */
  outageGate: StoreOutageGate;
  /**
   * Stop taking jobs, let active ones finish (at most `shutdownTimeoutMs`, then abort them and
   * force the close), then close the Redis connections and the store this opened. Idempotent.
   */
  close(): Promise<void>;
}

/** A page id no page has: reading it is the store health probe of the outage gate. */
const PROBE_PAGE_ID = '00000000-0000-0000-0000-000000000000';

/** How much longer a host lease lasts than the fetch time limit. */
const LEASE_MARGIN_MS = 5000;

/** The compiled sandboxed processor of this package (BullMQ forks plain JS, not TypeScript). */
export function defaultModerateProcessorFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'workers', 'moderate.sandbox.js');
    dir = dirname(dir);
  }
  throw new Error('cannot find the winnow package root from workers/main');
}

/**
 * Start a worker for each stage. Fetch jobs run in-process (I/O); moderate jobs run sandboxed in
 * child processes (or worker threads) from the compiled processor, so CPU work never starves
 * lock renewal. The moderate stage also runs the reprocess queue in-process (one run at a time:
 * it only pages through ids and adds moderate jobs).
 */
export async function startWorkers(options: StartWorkersOptions = {}): Promise<WorkersHandle> {
  const settings: WorkerSettings = { ...pickSettings(loadConfig()), ...definedOnly(pickSettings(options as WinnowConfig)) };
  const stages = options.stages ?? STAGES;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const ownStore = options.store === undefined;
  const store = options.store ?? (await openStageStore({ ...settings, databaseUrl: options.databaseUrl }));
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const connection = createWorkerConnection(settings.redisUrl);
    // Reconnects are automatic; without a listener ioredis would print every failed attempt.
    connection.on('error', () => undefined);
    connections.push(connection);
    return connection;
  };
  const queueConnection = connect();
  const queues = createQueues(queueConnection, { prefix: settings.queuePrefix, jobOptions: options.jobOptions });
  // Redis outages surface as reconnects on the connection; the queues' own error events add nothing.
  queues.fetch.on('error', () => undefined);
  queues.moderate.on('error', () => undefined);
  const common: Omit<WorkerOptions, 'connection'> = {
    prefix: settings.queuePrefix,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: settings.maxStalledCount,
    ...definedOnly(options.workerOptions ?? {}),
    // Jobs name the 'retry-after' backoff (DEFAULT_JOB_OPTIONS); BullMQ asks the worker for it.
    settings: { backoffStrategy: retryAfterBackoff },
  };
  const fetchOptions: FetchOptions = {
    connectTimeoutMs: settings.fetchConnectTimeoutMs,
    totalTimeoutMs: settings.fetchTimeoutMs,
    maxBytes: settings.fetchMaxBytes,
    ...definedOnly(options.fetchOptions ?? {}),
  };
  const workers: Worker[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  let reprocessQueue: Queue<ReprocessJobData, ReprocessJobResult> | undefined;

  /**
   * Record in the database what no processor saw: a stall over the limit, a killed or timed-out
   * child. The reconciler (workers/reconciler.ts) records the same from Redis's failed set when
   * no worker lived to see the event.
   */
  const recordUnseenFailure = async (stage: Stage | typeof REPROCESS_QUEUE, job: Job, error: Error): Promise<void> => {
    // A reprocess run has no page of its own; its moderate jobs record theirs.
    if (stage === REPROCESS_QUEUE) return;
    const stalled = /stalled more than allowable limit|started more than allowable limit/.test(error.message);
    const unseen = stalled || /Unexpected exit code/.test(error.message);
    const failure = failureOfReason(error.message);
    if (stage === MODERATE_QUEUE) {
      // A stall past the limit ends the job whatever its attempts; a killed child only on the
      // last. A page whose article was saved before the job was lost keeps it.
      if (!stalled && !(unseen && job.attemptsMade >= (job.opts.attempts ?? 1))) return;
      const { pageId } = job.data as ModerateJobData;
      if ((await store.getPage(pageId))?.status !== 'fetched') return;
      await store.saveFailure(pageId, failure);
    } else {
      // A fetch job's stall may come after its page was stored; the reconciler records it only
      // while the URL's submission is still pending.
      if (!unseen || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      const { page } = await store.putPage({ url: (job.data as FetchJobData).url, source: 'url', raw: new Uint8Array(0) });
      await store.saveFailure(page.id, failure);
    }
  };

  // A job that met an unreachable store put itself off and says so in its progress (a sandboxed
  // child has no other way to reach this process): hold every worker until the store answers.
  const outageGate = new StoreOutageGate({
    workers: () => workers,
    probe: () => store.getPage(PROBE_PAGE_ID),
    probeMs: settings.outageProbeMs,
    log,
  });
  const watch = (stage: Stage | typeof REPROCESS_QUEUE, worker: Worker): Worker => {
    worker.on('error', (error) => log(`${stage} worker: ${error.message}`));
    worker.on('progress', (_job, progress) => {
      if (isOutageProgress(progress)) outageGate.report(progress.message);
    });
    worker.on('failed', (job, error) => {
      if (!job) return;
      log(`${stage} job ${job.id} failed (attempt ${job.attemptsMade}/${job.opts.attempts ?? 1}): ${error.message}`);
      recordUnseenFailure(stage, job, error).catch((recordError: Error) =>
        log(`${stage} job ${job.id}: cannot record the failure: ${recordError.message}`),
      );
    });
    workers.push(worker);
    return worker;
  };

  if (stages.includes(FETCH_QUEUE)) {
    // One robots.txt cache per process, fetched through the same SSRF-safe client as the pages.
    const robots = settings.respectRobots ? new RobotsCache({ fetch: { ...fetchOptions, signal: undefined } }) : undefined;
    const politeness = new HostPoliteness({
      connection: queueConnection,
      prefix: settings.queuePrefix,
      concurrency: settings.hostConcurrency,
      delayMs: settings.hostDelayMs,
      // A lease outlives the longest fetch; then it expires even if its worker died.
      leaseMs: (fetchOptions.totalTimeoutMs ?? settings.fetchTimeoutMs) + LEASE_MARGIN_MS,
    });
    const processor = createFetchProcessor({
      store,
      moderateQueue: queues.moderate,
      fetchOptions,
      robots,
      politeness,
      maxRetryAfterMs: settings.maxRetryAfterMs,
      ledger: submissionLedgerOf(store),
      outageWaitMs: settings.outageProbeMs,
    });
    watch(
      FETCH_QUEUE,
      new Worker<FetchJobData, FetchJobResult>(FETCH_QUEUE, processor, {
        ...common,
        connection: connect(),
        concurrency: settings.fetchConcurrency,
      }),
    );
  }

  if (stages.includes(MODERATE_QUEUE)) {
    const env = {
      ...process.env,
      WINNOW_DB: settings.databasePath,
      WINNOW_ENGINE: settings.engine,
      WINNOW_JOB_TIMEOUT_MS: String(settings.jobTimeoutMs),
      WINNOW_OUTAGE_PROBE_MS: String(settings.outageProbeMs),
      ...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
      ...(options.modelDir === undefined ? {} : { WINNOW_MODEL_DIR: options.modelDir }),
    };
    const worker = watch(
      MODERATE_QUEUE,
      new Worker<ModerateJobData, ModerateJobResult>(MODERATE_QUEUE, options.moderateProcessorFile ?? defaultModerateProcessorFile(), {
        ...common,
        connection: connect(),
        concurrency: settings.moderateConcurrency,
        useWorkerThreads: settings.useWorkerThreads,
        workerForkOptions: { env },
        workerThreadsOptions: { env },
      }),
    );
    // A child process also has its own watchdog (the hard limit); aborting the job's signal is
    // what limits a worker thread, and a job waiting on I/O.
    worker.on('active', (job) => {
      const id = job.id!;
      // A job that lost its lock (a frozen event loop, a Redis outage) gets no completed or
      // failed event here: its old timer goes when the job starts again, and no timer keeps a
      // closed worker's process alive.
      clearTimeout(timers.get(id));
      const timer = setTimeout(() => worker.cancelJob(id, `job timeout after ${settings.jobTimeoutMs} ms`), settings.jobTimeoutMs);
      timer.unref();
      timers.set(id, timer);
    });
    const clear = (job: Job | undefined): void => {
      if (!job?.id) return;
      clearTimeout(timers.get(job.id));
      timers.delete(job.id);
    };
    worker.on('completed', clear);
    worker.on('failed', clear);

    reprocessQueue = createReprocessQueue(queueConnection, { prefix: settings.queuePrefix, jobOptions: options.jobOptions });
    reprocessQueue.on('error', () => undefined);
    const reprocess = createReprocessProcessor({ store, moderateQueue: queues.moderate, modelDir: options.modelDir });
    watch(
      REPROCESS_QUEUE,
      new Worker<ReprocessJobData, ReprocessJobResult>(REPROCESS_QUEUE, reprocess, { ...common, connection: connect(), concurrency: 1 }),
    );
  }

  const reconciler =
    settings.reconcileIntervalMs > 0
      ? startReconciler({
          store,
          queues,
          connection: queueConnection,
          prefix: settings.queuePrefix,
          intervalMs: settings.reconcileIntervalMs,
          olderThanMs: settings.reconcileAfterMs,
          maxRequeues: settings.maxRequeues,
          log,
        })
      : undefined;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await reconciler?.stop();
      outageGate.close();
      // pause() stops taking jobs and waits for the active ones, without starting close(): a
      // close already under way ignores close(true), so the forced close stays available.
      // A worker already closed by hand (tests simulate a crash with close(true)) is left alone.
      const open = workers.filter((worker) => worker.closing === undefined);
      const drained = Promise.all(open.map((worker) => worker.pause()));
      if (!(await withTimeout(drained, settings.shutdownTimeoutMs))) {
        log(`shutdown: jobs still active after ${settings.shutdownTimeoutMs} ms; aborting them`);
        for (const worker of open) worker.cancelAllJobs('worker shutting down');
      }
      await Promise.all(workers.map((worker) => worker.close(true)));
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await queues.fetch.close();
      await queues.moderate.close();
      await reprocessQueue?.close();
      await Promise.all(connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
      if (ownStore) await store.close();
    })());

  return { workers, reconciler, outageGate, close };
}

/**
 * Start workers and close them on SIGTERM or SIGINT; resolves once closed. A second signal
 * while closing exits at once.
 */
export async function runWorkersUntilSignal(options: StartWorkersOptions = {}): Promise<void> {
  const handle = await startWorkers(options);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log(`${signal} again: exiting without waiting`);
        process.exit(130);
      }
      stopping = true;
      log(`${signal}: finishing active jobs`);
      handle.close().then(resolve, (error: Error) => {
        log(`shutdown failed: ${error.message}`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** True when `promise` settled within `ms`, false otherwise. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function pickSettings(config: WinnowConfig): WorkerSettings {
  const { redisUrl, queuePrefix, fetchConcurrency, moderateConcurrency, jobTimeoutMs, shutdownTimeoutMs, useWorkerThreads, databasePath, engine } =
    config;
  const { respectRobots, hostConcurrency, hostDelayMs, lockDurationMs, stalledIntervalMs, maxStalledCount } = config;
  const { fetchConnectTimeoutMs, fetchTimeoutMs, fetchMaxBytes, maxRetryAfterMs } = config;
  const { reconcileIntervalMs, reconcileAfterMs, maxRequeues, outageProbeMs } = config;
  return {
    redisUrl, queuePrefix, fetchConcurrency, moderateConcurrency, jobTimeoutMs, shutdownTimeoutMs, useWorkerThreads, databasePath, engine,
    respectRobots, hostConcurrency, hostDelayMs, lockDurationMs, stalledIntervalMs, maxStalledCount,
    fetchConnectTimeoutMs, fetchTimeoutMs, fetchMaxBytes, maxRetryAfterMs,
    reconcileIntervalMs, reconcileAfterMs, maxRequeues, outageProbeMs,
  };
}

/** The fields of `object` that are set (an explicit undefined does not override a default). */
function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
