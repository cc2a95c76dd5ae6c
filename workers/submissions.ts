import type { Queue } from 'bullmq';
import type { PageRecord, PageSource, Store } from '../src/storage/store.js';
import { enqueueFetch, fetchJobId, type Enqueued, type FetchJobData, type FetchJobResult } from './queues.js';

/**
 * The submission ledger: every accepted URL submission is written to the database before its
 * fetch job is queued, so a Redis that loses its data (a restart without persistence, a
 * failover) loses no submission for good: `winnow requeue-pending` queues again those whose job
 * is gone.
 *
 * A submission is a `pages` row with status `pending`, no bytes, keyed like every page by the
 * normalised URL and the sha256 of its (empty) bytes. That is the very row the fetch stage
 * records a failure on (`putPage` with empty bytes, then `saveFailure`), so a failed fetch
 * settles its submission by itself; a stored page settles it with {@link SubmissionLedger.settleSubmission}.
 *
 * These methods belong on {@link Store} (SQLite and PostgreSQL); until a store has them, URLs
 * are queued without a ledger, as before.
 */
export interface SubmissionLedger {
  /**
   * Record an accepted URL submission: insert the pending row of `url`, or set the existing
   * row of that normalised URL with empty bytes (pending, or failed by an earlier submission)
   * back to `pending` with a fresh `updated_at`. One transaction; idempotent per normalised URL.
   *
   * @throws WinnowError `bad_input` when `url` is not an absolute URL.
   */
  recordSubmission(submission: { url: string; source: PageSource }): Promise<PageRecord>;
  /**
   * Pending submissions whose `updated_at` is before `olderThan` (ISO 8601), in id order after
   * `afterId`, at most `limit` (default 500).
   */
  listPendingSubmissions(options: { olderThan: string; afterId?: string; limit?: number }): Promise<PageRecord[]>;
  /**
   * The fetch stage stored a page for `url`: delete the pending row of its normalised URL, if
   * there is one and it is still pending (a failed one is kept as the failure record).
   */
  settleSubmission(url: string): Promise<void>;
}

/** The store as a ledger when it implements the ledger methods, else undefined. */
export function submissionLedgerOf(store: Store): (Store & SubmissionLedger) | undefined {
  const candidate = store as Store & Partial<SubmissionLedger>;
  const complete =
    typeof candidate.recordSubmission === 'function' &&
    typeof candidate.listPendingSubmissions === 'function' &&
    typeof candidate.settleSubmission === 'function';
  return complete ? (candidate as Store & SubmissionLedger) : undefined;
}

/**
 * Accept a URL submission: record it in the ledger (when `ledger` is given), then add its
 * fetch job. The record comes first: if queueing fails, the submission waits in the database
 * for `requeue-pending` instead of being lost.
 */
export async function submitFetch(
  queue: Queue<FetchJobData, FetchJobResult>,
  ledger: SubmissionLedger | undefined,
  submission: { url: string; source: PageSource },
): Promise<Enqueued> {
  await ledger?.recordSubmission(submission);
  return enqueueFetch(queue, submission.url);
}

/** What one `requeue-pending` pass found and did. */
export interface RequeueSummary {
  /** Pending submissions older than the cutoff. */
  pending: number;
  /** Of those, the ones whose job was missing in Redis and was added again. */
  requeued: string[];
  /** Of those, the ones whose job Redis still has, by job state. */
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
 * longer has. A submission whose job still exists (waiting, delayed, active, or kept after it
 * finished) is left alone: the job will settle it.
 */
export async function requeuePending(options: RequeueOptions): Promise<RequeueSummary> {
  if (!Number.isFinite(options.olderThanMs) || options.olderThanMs < 0) throw new RangeError(`olderThanMs must be >= 0, got ${options.olderThanMs}`);
  const olderThan = new Date((options.now ?? Date.now()) - options.olderThanMs).toISOString();
  const summary: RequeueSummary = { pending: 0, requeued: [], queued: {} };
  let afterId: string | undefined;
  for (;;) {
    const batch = await options.ledger.listPendingSubmissions({ olderThan, afterId, limit: options.batchSize ?? 500 });
    if (batch.length === 0) break;
    for (const page of batch) {
      afterId = page.id;
      if (page.url === null) continue;
      summary.pending++;
      const state = await options.queue.getJobState(fetchJobId(page.url));
      if (state === 'unknown') {
        await enqueueFetch(options.queue, page.url);
        summary.requeued.push(page.url);
      } else {
        summary.queued[state] = (summary.queued[state] ?? 0) + 1;
      }
    }
  }
  return summary;
}
