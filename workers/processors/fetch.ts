import { DelayedError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { fetchPage } from '../../src/fetch/fetch-page.js';
import type { FetchOptions } from '../../src/fetch/options.js';
import type { RobotsCache } from '../../src/fetch/robots.js';
import type { Store } from '../../src/storage/store.js';
import { tryNormalizeUrl } from '../../src/storage/url-key.js';
import { enqueueModerate, type FetchJobData, type FetchJobResult, type ModerateJobData, type ModerateJobResult } from '../queues.js';
import { hostKey, type HostPoliteness } from '../politeness.js';
import { failureOf, isLastAttempt, isPermanent, type StageJob } from './stage-job.js';

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
   * Per-host limits shared through Redis. A job whose host is busy goes back to *delayed*
   * without using up an attempt.
   * @defaultValue none: no per-host limit
   */
  politeness?: HostPoliteness;
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
 * - Anything else is rethrown for BullMQ to retry with backoff; on the last attempt the failure
 *   is recorded in the database first, since Redis evicts failed jobs.
 * - With `politeness`, a job whose host is busy (all its slots taken, or its delay not over) is
 *   moved back to *delayed* until the host is expected to be free (DelayedError: no attempt used).
 */
export function createFetchProcessor(deps: FetchStageDeps): FetchProcessor {
  return async (job, token, signal) => {
    const { url } = job.data;
    try {
      const host = deps.politeness ? hostKey(url) : undefined;
      if (!deps.politeness || host === undefined) return await fetchAndStore(url, deps, signal);
      const crawlDelayMs = deps.robots ? await deps.robots.crawlDelayMs(url).catch(() => undefined) : undefined;
      const grant = await deps.politeness.acquire(host, Math.max(deps.politeness.delayMs, crawlDelayMs ?? 0));
      if (!grant.acquired) {
        await job.moveToDelayed(Date.now() + grant.waitMs + Math.floor(Math.random() * POLITENESS_JITTER_MS), token);
        throw new DelayedError();
      }
      try {
        return await fetchAndStore(url, deps, signal);
      } finally {
        // A release lost to a Redis hiccup only keeps the host until the lease expires.
        await grant.release().catch(() => undefined);
      }
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      if (isPermanent(error)) {
        const failure = failureOf(error);
        await recordFailure(deps, url, failure);
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

async function fetchAndStore(url: string, deps: FetchStageDeps, signal: AbortSignal | undefined): Promise<FetchJobResult> {
  const fetched = await fetchPage(url, { ...deps.fetchOptions, ...(deps.robots ? { robots: deps.robots } : {}), signal });
  const { page } = await deps.store.putPage({ url, source: 'url', raw: fetched.body, contentType: fetched.contentType || null });
  const { jobId } = await enqueueModerate(deps.moderateQueue, page.id);
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
