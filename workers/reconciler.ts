import { randomUUID } from 'node:crypto';
import type { Job, JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Store, WaitingPage, WaitingStatus } from '../src/storage/store.js';
import { isStoreUnavailableMessage } from '../src/storage/unavailable.js';
import {
  enqueueFetch,
  enqueueModerate,
  fetchJobId,
  moderateJobId,
  type FetchJobData,
  type FetchJobResult,
  type ModerateJobData,
  type ModerateJobResult,
} from './queues.js';
import { TIMEOUT_SIGNAL } from './watchdog.js';

/**
 * The stage ledger. Every page's place in the pipeline is its `pages.status` in the database:
 * `pending` (submitted, waits for a fetch job `u-<sha256 of the URL>`), `fetched` (stored, waits
 * for a moderate job `p-<pageId>`), then `done` or `failed` with a reason. Redis only holds the
 * jobs that move pages on, and can lose them: a restart without persistence, a failover, a job
 * that failed (attempts used up, stalled past the limit) while no worker lived to record it.
 *
 * {@link reconcileStages} makes every such loss visible and repairs it from the database: for each
 * page that has sat in `pending` or `fetched` since before a cutoff, it looks up the page's job
 * and
 * - leaves it alone while the job is live (waiting, active, delayed, prioritized, ...): the job
 *   will move the page on;
 * - records the page failed when its job is in Redis's failed set (and failed after the page
 *   last changed): `stalled` for "stalled more than allowable limit", `timeout`/`crashed` for a
 *   killed child, else the job's last error. A job that failed only because the store was down
 *   is queued again instead: the page is not at fault;
 * - queues the job again, under the same id, when it is missing (or finished without moving the
 *   page on), and counts that on the page (`requeues`); past `maxRequeues` the page is recorded
 *   failed (`requeue_limit`) instead of queued forever.
 *
 * Queuing again is idempotent: the ids are deterministic (BullMQ ignores a duplicate), fetching
 * stores the same URL and bytes as one page, and saving an article replaces the page's article.
 * `winnow requeue-pending` runs one pass; every worker process runs one periodically
 * ({@link startReconciler}).
 */

/** Job states in which the job will still move its page on. */
const LIVE_STATES: ReadonlySet<string> = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused']);

/** Re-queues of one page before the reconciler records it failed instead. */
export const DEFAULT_MAX_REQUEUES = 3;

/** What one pass found and did. */
export interface ReconcileSummary {
  /** Pages past the cutoff, per stage. */
  pending: number;
  fetched: number;
  /** URLs whose fetch job was queued again. */
  requeued: string[];
  /** Page ids whose moderate job was queued again. */
  remoderated: string[];
  /** Pages recorded failed by this pass. */
  failed: { pageId: string; url: string | null; stage: 'fetch' | 'moderate'; code: string; message: string }[];
  /** Pages left alone because their job is live, by job state. */
  queued: Record<string, number>;
  /** Pages that moved on (done, failed, stored) while the pass looked at them. */
  movedOn: number;
}

export interface ReconcileOptions {
  store: Pick<Store, 'listWaitingPages' | 'markRequeued' | 'saveFailure' | 'getPage'>;
  /** The queues of the stages to reconcile: `fetch` for pending pages, `moderate` for fetched ones. */
  queues: { fetch?: Queue<FetchJobData, FetchJobResult>; moderate?: Queue<ModerateJobData, ModerateJobResult> };
  /** Only pages that have not changed for longer than this (a younger one may be between its write and its job). */
  olderThanMs: number;
  /** @defaultValue DEFAULT_MAX_REQUEUES */
  maxRequeues?: number;
  /** Pages read per store call. @defaultValue 500 */
  batchSize?: number;
  /** @defaultValue Date.now() */
  now?: number;
}

/** One pass over the stuck pages of every stage whose queue is given (see the module comment). */
export async function reconcileStages(options: ReconcileOptions): Promise<ReconcileSummary> {
  if (!Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) throw new RangeError(`olderThanMs must be >= 0, got ${options.olderThanMs}`);
  const olderThan = new Date((options.now ?? Date.now()) - options.olderThanMs).toISOString();
  const summary: ReconcileSummary = { pending: 0, fetched: 0, requeued: [], remoderated: [], failed: [], queued: {}, movedOn: 0 };
  const stages: [WaitingStatus, Queue | undefined][] = [
    ['pending', options.queues.fetch as Queue | undefined],
    ['fetched', options.queues.moderate as Queue | undefined],
  ];
  for (const [status, queue] of stages) {
    if (!queue) continue;
    let afterId: string | undefined;
    for (;;) {
      const batch = await options.store.listWaitingPages({ status, olderThan, afterId, limit: options.batchSize ?? 500 });
      if (batch.length === 0) break;
      for (const page of batch) {
        afterId = page.id;
        // A pending row always has its URL; a row without one has nothing to fetch.
        if (status === 'pending' && page.url === null) continue;
        summary[status]++;
        await reconcilePage(page, queue, options, summary);
      }
    }
  }
  return summary;
}

async function reconcilePage(page: WaitingPage, queue: Queue, options: ReconcileOptions, summary: ReconcileSummary): Promise<void> {
  const stage = page.status === 'pending' ? 'fetch' : 'moderate';
  const jobId = stage === 'fetch' ? fetchJobId(page.url!) : moderateJobId(page.id);
  const job = (await queue.getJob(jobId)) as Job | undefined;
  const state: JobState | 'unknown' = job ? await job.getState() : 'unknown';
  if (LIVE_STATES.has(state)) {
    summary.queued[state] = (summary.queued[state] ?? 0) + 1;
    return;
  }
  // The job may have moved the page on since the page was listed: look again before acting.
  const current = await options.store.getPage(page.id);
  if (current?.status !== page.status) {
    summary.movedOn++;
    return;
  }

  // A failed job that ended after the page last changed failed for this page, and nobody
  // recorded why (the worker died, or the store was down). One that ended before belongs to an
  // earlier submission of the URL: the page is queued again.
  const failedForPage = state === 'failed' && job !== undefined && (job.finishedOn ?? 0) >= Date.parse(page.updatedAt);
  const reason = failedForPage ? (job.failedReason ?? '') : '';
  if (failedForPage && !isStoreUnavailableMessage(reason)) {
    await recordFailed(page, stage, failureOfReason(reason), options, summary);
    return;
  }
  const maxRequeues = options.maxRequeues ?? DEFAULT_MAX_REQUEUES;
  if (page.requeues >= maxRequeues) {
    const last = failedForPage ? `its job failed: ${reason}` : state === 'unknown' ? 'its job is missing in Redis' : `its job is ${state}`;
    await recordFailed(page, stage, { code: 'requeue_limit', message: `still ${page.status} after ${page.requeues} re-queues; ${last}` }, options, summary);
    return;
  }
  if (job !== undefined) await queue.remove(jobId);
  const enqueued = stage === 'fetch' ? await enqueueFetch(queue, page.url!) : await enqueueModerate(queue, page.id);
  if (!enqueued.created) {
    // Another process queued it meanwhile.
    const other = enqueued.existingState ?? 'unknown';
    summary.queued[other] = (summary.queued[other] ?? 0) + 1;
    return;
  }
  await options.store.markRequeued(page.id, page.status);
  if (stage === 'fetch') summary.requeued.push(page.url!);
  else summary.remoderated.push(page.id);
}

async function recordFailed(
  page: WaitingPage,
  stage: 'fetch' | 'moderate',
  failure: { code: string; message: string },
  options: ReconcileOptions,
  summary: ReconcileSummary,
): Promise<void> {
  await options.store.saveFailure(page.id, failure);
  summary.failed.push({ pageId: page.id, url: page.url, stage, ...failure });
}

/**
 * The failure to record for a job's failedReason: `stalled` when BullMQ gave up on a job that
 * stalled (or started) too often, `timeout` when the watchdog killed its child, `crashed` when
 * the child died otherwise, else the code of a `code: message` reason, else `error`.
 */
export function failureOfReason(reason: string): { code: string; message: string } {
  const message = reason === '' ? 'job failed without a reason' : reason;
  if (/stalled more than allowable limit|started more than allowable limit/.test(reason)) return { code: 'stalled', message };
  if (/Unexpected exit code/.test(reason)) return { code: reason.includes(TIMEOUT_SIGNAL) ? 'timeout' : 'crashed', message };
  const coded = /^([a-z][a-z_]{1,40}): /.exec(reason);
  return { code: coded ? coded[1] : 'error', message };
}

export interface ReconcilerOptions extends Omit<ReconcileOptions, 'now'> {
  /** Where the run lock lives (a worker connection) and its key prefix (the queue prefix). */
  connection: Redis;
  prefix: string;
  /** Time between passes. */
  intervalMs: number;
  log: (line: string) => void;
}

export interface Reconciler {
  /** Run a pass now (unless another process holds the lock); resolves with its summary, or null. */
  runOnce(): Promise<ReconcileSummary | null>;
  /** Stop; waits for a pass under way. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Run {@link reconcileStages} every `intervalMs` in this worker process. Passes of all processes
 * take turns through a Redis lock (`<prefix>:reconciler`, SET NX PX) so two workers never
 * reconcile at once; a pass that fails (Redis or the store down) is logged and tried at the next
 * tick. A pass that found something logs one line.
 */
export function startReconciler(options: ReconcilerOptions): Reconciler {
  const lockKey = `${options.prefix}:reconciler`;
  const token = randomUUID();
  let running: Promise<ReconcileSummary | null> | undefined;
  let stopped = false;

  const pass = async (): Promise<ReconcileSummary | null> => {
    // The lock outlives a pass that hangs (it expires), but never lets two passes overlap in time.
    const taken = await options.connection.set(lockKey, token, 'PX', Math.max(options.intervalMs, 10_000), 'NX');
    if (taken !== 'OK') return null;
    try {
      const summary = await reconcileStages(options);
      const acted = summary.requeued.length + summary.remoderated.length + summary.failed.length;
      if (acted > 0) {
        options.log(
          `reconciler: ${summary.requeued.length} fetch and ${summary.remoderated.length} moderate job(s) queued again, ` +
            `${summary.failed.length} page(s) recorded failed (${summary.failed.map((failure) => failure.code).join(', ') || 'none'})`,
        );
      }
      return summary;
    } finally {
      // Release only our own lock.
      await options.connection
        .eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, lockKey, token)
        .catch(() => undefined);
    }
  };
  const runOnce = (): Promise<ReconcileSummary | null> => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    if (stopped || running) return;
    runOnce().catch((error: Error) => options.log(`reconciler: pass failed: ${error.message}`));
  }, options.intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
