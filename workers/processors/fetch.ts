import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { fetchPage } from '../../src/fetch/fetch-page.js';
import type { FetchOptions } from '../../src/fetch/options.js';
import type { Store } from '../../src/storage/store.js';
import { tryNormalizeUrl } from '../../src/storage/url-key.js';
import { enqueueModerate, type FetchJobData, type FetchJobResult, type ModerateJobData, type ModerateJobResult } from '../queues.js';
import { failureOf, isLastAttempt, isPermanent, type StageJob } from './stage-job.js';

/** What the fetch stage needs; the worker process owns these and closes them. */
export interface FetchStageDeps {
  store: Store;
  /** Where a moderate job goes for every stored page. */
  moderateQueue: Queue<ModerateJobData, ModerateJobResult>;
  /** Passed to fetchPage (allow-list, limits); the job's abort signal is added. */
  fetchOptions?: FetchOptions;
  /** Told about a failure that was recorded in the database. */
  onFailureRecorded?: (url: string, failure: { code: string; message: string }) => void;
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
 */
export function createFetchProcessor(deps: FetchStageDeps): FetchProcessor {
  return async (job, _token, signal) => {
    const { url } = job.data;
    try {
      return await fetchAndStore(url, deps, signal);
    } catch (error) {
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
  const fetched = await fetchPage(url, { ...deps.fetchOptions, signal });
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
