import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { HopDeferredError, HttpStatusError } from '../../src/fetch/errors.js';
import { fetchPage } from '../../src/fetch/fetch-page.js';
import type { FetchOptions } from '../../src/fetch/options.js';
import type { RobotsCache } from '../../src/fetch/robots.js';
import type { Store } from '../../src/storage/store.js';
import { tryNormalizeUrl } from '../../src/storage/url-key.js';
import { enqueueModerate, type FetchJobData, type FetchJobResult, type ModerateJobData, type ModerateJobResult } from '../queues.js';
import { HopLeases, type HostHold } from '../hop-leases.js';
import { DEFAULT_OUTAGE_WAIT_MS, isStoreUnavailable, waitForStore } from '../outage.js';
import type { HostPoliteness } from '../politeness.js';
import type { SubmissionLedger } from '../submissions.js';
import { failureOf, isLastAttempt, isPermanent, type StageJob } from './stage-job.js';

/** Longest Retry-After a fetch job waits for by default (README "Configuration"). */
export const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;

/** Spread of the re-check time of jobs waiting for one host, so they do not all wake at once. */
const POLITENESS_JITTER_MS = 50;

/** What the fetch stage needs; the worker process owns these and closes them. */
export interface FetchStageDeps {
  store: Store;
  /** Where a moderate job goes for every stored page. */
  moderateQueue: Queue<ModerateJobData, ModerateJobResult>;
  /** Passed to fetchPage (allow-list, limits); the job's abort signal is added. */
  fetchOptions?: FetchOptions;
  /** Told about a failure that was recorded in the database. */
  onFailureRecorded?: (url: string, failure: { code: string; message: string }) => void;
  /**
   * robots.txt cache of this process. When given, every hop is checked against it (a refusal
   * fails the job permanently with `robots_disallowed`) and its Crawl-delay raises the host delay.
   * @defaultValue none: robots.txt is not consulted
   */
  robots?: RobotsCache;
  /**
   * Per-host limits shared through Redis, taken for the host of every hop (redirects included).
   * A job whose next host is busy goes back to *delayed* without using up an attempt.
   * @defaultValue none: no per-host limit
   */
  politeness?: HostPoliteness;
  /**
   * Longest Retry-After honoured; a 429 or 503 asking for more fails the job at once.
   * @defaultValue DEFAULT_MAX_RETRY_AFTER_MS (1 h)
   */
  maxRetryAfterMs?: number;
  /**
   * Submission ledger: a stored page settles its URL's pending submission.
   * @defaultValue none: submissions are not tracked
   */
  ledger?: Pick<SubmissionLedger, 'settleSubmission'>;
  /**
   * How long a job that met an unreachable store is put off (no attempt used; workers/outage.ts).
   * @defaultValue DEFAULT_OUTAGE_WAIT_MS
   */
  outageWaitMs?: number;
}

export type FetchProcessor = (job: Job<FetchJobData, FetchJobResult>, token?: string, signal?: AbortSignal) => Promise<FetchJobResult>;

/**
 * The fetch stage: fetchPage → store.putPage → a moderate job `{pageId}`. Every step is
 * idempotent (same URL and bytes are one page, the moderate job id is the page id), so a job
 * delivered twice does no harm.
 *
 * - A permanent failure (FetchError with `retryable` false: blocked address, bad URL, non-HTML,
 *   too large, 4xx, robots) is recorded in the database and ends the job at once
 *   (UnrecoverableError).
 * - A 429 or 503 with Retry-After is retried after that wait (see workers/backoff.ts), and the
 *   host is kept quiet as long; a wait over `maxRetryAfterMs` fails the job at once.
 * - An unreachable store is no fault of the page: the job is put off without using an attempt,
 *   and the worker pauses until the store is back (workers/outage.ts).
 * - Anything else is rethrown for BullMQ to retry with backoff; on the last attempt the failure
 *   is recorded in the database first, since Redis evicts failed jobs.
 * - With `politeness`, every hop takes its host's lease (the first URL's and each redirect
 *   target's). A job that meets a busy host (all its slots taken, or its delay not over) gives
 *   back what it holds and is moved back to *delayed* until that host is expected to be free
 *   (DelayedError: no attempt used).
 */
export function createFetchProcessor(deps: FetchStageDeps): FetchProcessor {
  const maxRetryAfterMs = deps.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  return async (job, token, signal) => {
    const { url, resume } = job.data;
    const leases = deps.politeness ? new HopLeases(deps.politeness, deps.robots) : undefined;
    try {
      try {
        return await fetchAndStore(url, resume, deps, signal, leases);
      } catch (error) {
        const hold = retryAfterHold(error, maxRetryAfterMs);
        await leases?.releaseAll(hold);
        throw error;
      } finally {
        await leases?.releaseAll();
      }
    } catch (error) {
      if (error instanceof HopDeferredError) {
        if (error.redirects.length > 0) {
          // The hosts before this hop were asked already: start at the hop next time.
          await job.updateData({ url, resume: { url: error.url, redirects: (resume?.redirects ?? 0) + error.redirects.length } });
        }
        await job.moveToDelayed(Date.now() + error.waitMs + Math.floor(Math.random() * POLITENESS_JITTER_MS), token);
        throw new DelayedError();
      }
      if (isStoreUnavailable(error)) return waitForStore(job, token, deps.outageWaitMs ?? DEFAULT_OUTAGE_WAIT_MS, error);
      const tooLong = retryAfterOverLimit(error, maxRetryAfterMs);
      if (isPermanent(error) || tooLong) {
        const failure = tooLong ?? failureOf(error);
        // The page is at fault, but its failure cannot be kept while the store is down: wait.
        await recordFailure(deps, url, failure).catch((recordError: unknown) =>
          isStoreUnavailable(recordError) ? waitForStore(job, token, deps.outageWaitMs ?? DEFAULT_OUTAGE_WAIT_MS, recordError) : Promise.reject(recordError),
        );
        throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
      }
      if (isLastAttempt(job as StageJob<FetchJobData>)) {
        // Best effort: when the database is what failed, this fails too, and the job's own
        // failedReason is all that is left.
        await recordFailure(deps, url, failureOf(error)).catch(() => undefined);
      }
      throw error;
    }
  };
}

/** How long the host that answered with Retry-After stays quiet (bounded like the job's wait). */
function retryAfterHold(error: unknown, maxRetryAfterMs: number): HostHold | undefined {
  if (!(error instanceof HttpStatusError) || error.retryAfterMs === undefined || error.url === undefined) return undefined;
  return { url: error.url, holdMs: Math.min(error.retryAfterMs, maxRetryAfterMs) };
}

/** The failure to record when a server asks for a wait over the limit; undefined otherwise. */
function retryAfterOverLimit(error: unknown, maxRetryAfterMs: number): { code: string; message: string } | undefined {
  if (!(error instanceof HttpStatusError) || !error.retryable || error.retryAfterMs === undefined) return undefined;
  if (error.retryAfterMs <= maxRetryAfterMs) return undefined;
  return {
    code: error.code,
    message: `${error.message} with Retry-After: ${error.retryAfter ?? ''} (${Math.ceil(error.retryAfterMs / 1000)} s, over the ${Math.floor(maxRetryAfterMs / 1000)} s limit)`,
  };
}

async function fetchAndStore(
  url: string,
  resume: FetchJobData['resume'],
  deps: FetchStageDeps,
  signal: AbortSignal | undefined,
  leases: HopLeases | undefined,
): Promise<FetchJobResult> {
  const fetched = await fetchPage(resume?.url ?? url, {
    ...deps.fetchOptions,
    ...(deps.robots ? { robots: deps.robots } : {}),
    ...(leases ? { beforeHop: leases.beforeHop } : {}),
    // Redirects followed before the job was put off count too, so a chain cannot grow by deferrals.
    redirectsFollowed: resume?.redirects ?? 0,
    signal,
  });
  // The page is read: other jobs of these hosts need not wait for the store and the queue.
  await leases?.releaseAll();
  const { page } = await deps.store.putPage({ url, source: 'url', raw: fetched.body, contentType: fetched.contentType || null });
  const { jobId } = await enqueueModerate(deps.moderateQueue, page.id);
  // After the moderate job exists: a crash before this leaves the submission pending, and
  // requeue-pending finds this job's id still in Redis (or fetches the page once more).
  await deps.ledger?.settleSubmission(url);
  return { url, pageId: page.id, moderateJobId: jobId, bytes: fetched.body.length };
}

/**
 * Keep the failure in the database: an empty page for the URL, marked failed. A string that is
 * not even an absolute URL is stored under its text as the page name.
 */
async function recordFailure(deps: FetchStageDeps, url: string, failure: { code: string; message: string }): Promise<void> {
  const absolute = tryNormalizeUrl(url) !== null;
  const { page } = await deps.store.putPage({
    url: absolute ? url : null,
    name: absolute ? null : url.slice(0, 2000),
    source: 'url',
    raw: new Uint8Array(0),
  });
  await deps.store.saveFailure(page.id, failure);
  deps.onFailureRecorded?.(url, failure);
}
