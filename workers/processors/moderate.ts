import { UnrecoverableError } from 'bullmq';
import type { Model } from '../../src/classify/model.js';
import { WinnowError } from '../../src/errors.js';
import { moderateBytes } from '../../src/pipeline.js';
import type { Store } from '../../src/storage/store.js';
import type { EngineName } from '../../src/types.js';
import type { ModerateJobData, ModerateJobResult } from '../queues.js';
import { failureOf, isLastAttempt, isPermanent, type StageJob } from './stage-job.js';

/** What the moderate stage needs: opened once per process (or sandboxed child) and reused. */
export interface ModerateStageDeps {
  store: Store;
  /** Loaded once per process with `loadModel()`. */
  model: Model;
  /** @defaultValue 'linkedom' */
  engine?: EngineName;
}

export type ModerateProcessor = (
  job: StageJob<ModerateJobData>,
  token?: string,
  signal?: AbortSignal,
) => Promise<ModerateJobResult>;

/**
 * The moderate stage: the page's raw bytes from the store → moderateBytes → store.saveArticle.
 * The job completes only after the article's transaction has committed; saving again replaces
 * the page's article, so a job delivered twice leaves one article.
 *
 * - Bad input (a WinnowError with `retryable` false, e.g. `not_text`, `too_deep`) is recorded
 *   as the page's failure and ends the job at once (UnrecoverableError).
 * - Storage errors and aborts (job timeout) are rethrown for BullMQ to retry; on the last
 *   attempt the failure is recorded first.
 */
export function createModerateProcessor(deps: ModerateStageDeps): ModerateProcessor {
  return async (job, _token, signal) => {
    const { pageId } = job.data;
    try {
      return await moderateStored(pageId, deps, signal);
    } catch (error) {
      if (error instanceof UnrecoverableError) throw error;
      if (isPermanent(error)) {
        const failure = failureOf(error);
        await deps.store.saveFailure(pageId, failure);
        throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
      }
      if (isLastAttempt(job)) await deps.store.saveFailure(pageId, failureOf(error)).catch(() => undefined);
      throw error;
    }
  };
}

async function moderateStored(pageId: string, deps: ModerateStageDeps, signal: AbortSignal | undefined): Promise<ModerateJobResult> {
  const page = await deps.store.getPage(pageId);
  const raw = page ? await deps.store.getRawPage(pageId) : null;
  // Nothing to record a failure on: the job points at a page this database does not have.
  if (!page || !raw) throw new UnrecoverableError(`not_found: no stored page ${pageId}`);
  throwIfAborted(signal);
  let article;
  try {
    article = moderateBytes(raw, { url: page.url ?? undefined, engine: deps.engine, model: deps.model, contentType: page.contentType });
  } catch (error) {
    // moderateBytes is pure: an error other than a typed one will happen again on a retry.
    if (error instanceof WinnowError) throw error;
    throw new WinnowError('parse_failed', error instanceof Error ? error.message : String(error), { cause: error });
  }
  throwIfAborted(signal);
  const stored = await deps.store.saveArticle(pageId, article);
  return { pageId, articleId: stored.id, title: stored.title, blocks: stored.blocks.length };
}

/** A cancelled job (job timeout) fails retryably: the page may well pass on a less loaded worker. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new WinnowError('timeout', `moderate job aborted: ${String(signal.reason ?? 'cancelled')}`, { retryable: true });
  }
}
