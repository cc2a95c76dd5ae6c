import { UnrecoverableError } from 'bullmq';
import { currentVersion, defaultModelDir, loadModel, type Model } from '../../src/classify/model.js';
import { WinnowError } from '../../src/errors.js';
import { moderateBytes } from '../../src/pipeline.js';
import type { Store } from '../../src/storage/store.js';
import type { EngineName } from '../../src/types.js';
import { DEFAULT_OUTAGE_WAIT_MS, isStoreUnavailable, waitForStore, type DelayableJob } from '../outage.js';
import type { ModerateJobData, ModerateJobResult } from '../queues.js';
import { failureOf, isLastAttempt, isPermanent, type StageJob } from './stage-job.js';

/** The model to moderate with: the version a job names, or the current one when it names none. */
export type ModelLookup = (version: string | undefined) => Model;

/**
 * Models of `dir`: a named version, else the one `current.json` points to *now*, so a promotion
 * takes effect on the next job without restarting workers. loadModel caches every version, so a
 * job costs one read of the small pointer file: about 5–10 µs, against tens of ms to moderate a
 * page, hence no caching of the pointer.
 */
export function modelsIn(dir: string = defaultModelDir()): ModelLookup {
  return (version) => loadModel(dir, version ?? currentVersion(dir));
}

/** What the moderate stage needs: opened once per process (or sandboxed child) and reused. */
export interface ModerateStageDeps {
  store: Store;
  /** Picks each job's model (see {@link modelsIn}). */
  models: ModelLookup;
  /** @defaultValue 'linkedom' */
  engine?: EngineName;
  /**
   * How long a job that met an unreachable store is put off (no attempt used; workers/outage.ts).
   * @defaultValue DEFAULT_OUTAGE_WAIT_MS
   */
  outageWaitMs?: number;
}

export type ModerateProcessor = (
  job: StageJob<ModerateJobData>,
  token?: string,
  signal?: AbortSignal,
) => Promise<ModerateJobResult>;

/**
 * The moderate stage: the page's raw bytes from the store → moderateBytes (with the job's model)
 * → store.saveArticle.
 * The job completes only after the article's transaction has committed; saving again replaces
 * the page's article, so a job delivered twice leaves one article.
 *
 * - Bad input (a WinnowError with `retryable` false, e.g. `not_text`, `too_deep`) is recorded
 *   as the page's failure and ends the job at once (UnrecoverableError).
 * - An unreachable store (PostgreSQL down, SQLite locked or full) is no fault of the page: the
 *   job is put off without using an attempt, and the worker pauses until the store is back
 *   (workers/outage.ts).
 * - Other storage errors and aborts (job timeout) are rethrown for BullMQ to retry; on the last
 *   attempt the failure is recorded first.
 */
export function createModerateProcessor(deps: ModerateStageDeps): ModerateProcessor {
  return async (job, token, signal) => {
    const { pageId } = job.data;
    const model = modelOf(job.data, deps.models);
    try {
      return await moderateStored(pageId, model, deps, signal);
    } catch (error) {
      if (error instanceof UnrecoverableError) throw error;
      if (isStoreUnavailable(error) && job.moveToDelayed) {
        return waitForStore(job as DelayableJob, token, deps.outageWaitMs ?? DEFAULT_OUTAGE_WAIT_MS, error);
      }
      if (isPermanent(error)) {
        const failure = failureOf(error);
        // The page is at fault, but its failure cannot be kept while the store is down: wait.
        await deps.store.saveFailure(pageId, failure).catch((saveError: unknown) =>
          isStoreUnavailable(saveError) && job.moveToDelayed
            ? waitForStore(job as DelayableJob, token, deps.outageWaitMs ?? DEFAULT_OUTAGE_WAIT_MS, saveError)
            : Promise.reject(saveError),
        );
        throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
      }
      if (isLastAttempt(job)) await deps.store.saveFailure(pageId, failureOf(error)).catch(() => undefined);
      throw error;
    }
  };
}

/**
 * The job's model. A missing or unreadable model is this worker's problem, not the page's: the
 * job fails retryably (the models folder may be in the middle of a deploy) and nothing is
 * recorded on the page, which keeps the article it has.
 */
function modelOf(data: ModerateJobData, models: ModelLookup): Model {
  try {
    return models(data.model);
  } catch (error) {
    const reason = error instanceof WinnowError ? `${error.code}: ${error.message}` : String(error);
    throw new Error(`cannot load model ${data.model ?? '(current)'}: ${reason}`, { cause: error });
  }
}

async function moderateStored(pageId: string, model: Model, deps: ModerateStageDeps, signal: AbortSignal | undefined): Promise<ModerateJobResult> {
  const page = await deps.store.getPage(pageId);
  const raw = page ? await deps.store.getRawPage(pageId) : null;
  // Nothing to record a failure on: the job points at a page this database does not have.
  if (!page || !raw) throw new UnrecoverableError(`not_found: no stored page ${pageId}`);
  throwIfAborted(signal);
  let article;
  try {
    article = moderateBytes(raw, { url: page.url ?? undefined, engine: deps.engine, model, contentType: page.contentType });
  } catch (error) {
    // moderateBytes is pure: an error other than a typed one will happen again on a retry.
    if (error instanceof WinnowError) throw error;
    throw new WinnowError('parse_failed', error instanceof Error ? error.message : String(error), { cause: error });
  }
  throwIfAborted(signal);
  const stored = await deps.store.saveArticle(pageId, article);
  return { pageId, articleId: stored.id, title: stored.title, blocks: stored.blocks.length, model: stored.model };
}

/** A cancelled job (job timeout) fails retryably: the page may well pass on a less loaded worker. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new WinnowError('timeout', `moderate job aborted: ${String(signal.reason ?? 'cancelled')}`, { retryable: true });
  }
}
