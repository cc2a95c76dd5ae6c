import type { Queue } from 'bullmq';
import type { PageSource, Store } from '../src/storage/store.js';
import { enqueueFetch, type Enqueued, type FetchJobData, type FetchJobResult } from './queues.js';
import { reconcileStages } from './reconciler.js';

/**
 * The submission ledger: every accepted URL submission is written to the database before its
 * fetch job is queued, so a Redis that loses its data (a restart without persistence, a
 * failover) loses no submission for good: `winnow requeue-pending` queues again those whose job
 * is gone.
 *
 * A submission is a `pages` row with status `pending`, no bytes, keyed like every page by the
 * normalised URL and the sha256 of its (empty) bytes. That is the very row the fetch stage
 * records a failure on (`putPage` with empty bytes, then `saveFailure`), so a failed fetch
 * settles its submission by itself; a stored page settles it with `settleSubmission`.
 *
 * Every {@link Store} keeps the ledger (SQLite and PostgreSQL); the methods are documented there.
 */
export type SubmissionLedger = Pick<
  Store,
  'recordSubmission' | 'listPendingSubmissions' | 'settleSubmission' | 'listWaitingPages' | 'markRequeued' | 'saveFailure' | 'getPage'
>;

/** The store as the submission ledger (every store keeps one). */
export function submissionLedgerOf(store: Store): Store & SubmissionLedger {
  return store;
}

/** Runs one Redis call of a producer (e.g. bounded by a timeout, its failure answered as a 503). */
export type QueueCall = <T>(call: () => Promise<T>) => Promise<T>;

/**
 * Accept a URL submission: record it in the ledger (when `ledger` is given), then add its
 * fetch job through `queueCall` (default: called directly). The record comes first: if queueing
 * fails, the submission waits in the database for `requeue-pending` instead of being lost; if
 * recording fails, nothing is queued.
 */
export async function submitFetch(
  queue: Queue<FetchJobData, FetchJobResult>,
  ledger: Pick<SubmissionLedger, 'recordSubmission'> | undefined,
  submission: { url: string; source: PageSource },
  queueCall: QueueCall = (call) => call(),
): Promise<Enqueued> {
  await ledger?.recordSubmission(submission);
  return queueCall(() => enqueueFetch(queue, submission.url));
}

/** What one `requeue-pending` pass found and did. */
export interface RequeueSummary {
  /** Pending submissions older than the cutoff. */
  pending: number;
  /** Of those, the ones whose job was missing in Redis, or had finished, and was added again. */
  requeued: string[];
  /** Of those, the ones whose job is still to run or running in Redis, by job state. */
  queued: Record<string, number>;
}

export interface RequeueOptions {
  ledger: SubmissionLedger;
  queue: Queue<FetchJobData, FetchJobResult>;
  /** Only submissions pending for longer than this (a younger one may be between record and enqueue). */
  olderThanMs: number;
  /** Submissions read per store call. @defaultValue 500 */
  batchSize?: number;
  /** @defaultValue Date.now() */
  now?: number;
}

/**
 * Queue again every submission pending for longer than `olderThanMs` whose fetch job Redis no
 * longer has, or has kept after it finished: the fetch stage of the stage reconciler
 * (workers/reconciler.ts, which also covers fetched pages and records failures Redis kept).
 * A submission whose job is still to run or running (waiting, delayed, active, …) is left alone:
 * the job will settle it.
 */
export async function requeuePending(options: RequeueOptions): Promise<RequeueSummary> {
  const summary = await reconcileStages({
    store: options.ledger,
    queues: { fetch: options.queue },
    olderThanMs: options.olderThanMs,
    batchSize: options.batchSize,
    now: options.now,
  });
  return { pending: summary.pending, requeued: summary.requeued, queued: summary.queued };
}
