import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { defaultModelDir, loadModel } from '../../src/classify/model.js';
import { WinnowError } from '../../src/errors.js';
import type { Store } from '../../src/storage/store.js';
import {
  MODERATE_QUEUE,
  readCheckpoint,
  REPROCESS_PRIORITY,
  reprocessModerateJobId,
  type ModerateJobData,
  type ModerateJobResult,
  type ReprocessCheckpoint,
  type ReprocessJobData,
  type ReprocessJobResult,
} from '../queues.js';

/** Page ids read per store call, and moderate jobs added per Redis round trip. */
export const DEFAULT_REPROCESS_BATCH = 500;

/** What the reprocess stage needs; the worker process owns these and closes them. */
export interface ReprocessStageDeps {
  store: Pick<Store, 'listDonePageIds' | 'countArticlesByModel'>;
  /** Where the moderate jobs go. */
  moderateQueue: Queue<ModerateJobData, ModerateJobResult>;
  /** Folder the job's model must be in. @defaultValue WINNOW_MODEL_DIR, else `<package>/models` */
  modelDir?: string;
  /** @defaultValue DEFAULT_REPROCESS_BATCH */
  batchSize?: number;
}

export type ReprocessProcessor = (
  job: Job<ReprocessJobData, ReprocessJobResult>,
  token?: string,
  signal?: AbortSignal,
) => Promise<ReprocessJobResult>;

/**
 * The reprocess stage: pages through the stored pages that have an article
 * (`store.listDonePageIds`, in id order) and adds a moderate job `{pageId, model}` for each,
 * with id `p-<pageId>-<model>` and a low priority. After every batch the job's progress records
 * `{enqueued, total, afterId}`; a retried or stalled-and-restarted job resumes after `afterId`,
 * and BullMQ ignores the ids of a batch added twice.
 *
 * A model this worker cannot load fails the run at once: every moderate job would fail too.
 */
export function createReprocessProcessor(deps: ReprocessStageDeps): ReprocessProcessor {
  const batchSize = deps.batchSize ?? DEFAULT_REPROCESS_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`reprocess batch size must be a whole number >= 1, got ${batchSize}`);
  return async (job, _token, signal) => {
    const { model } = job.data;
    try {
      loadModel(deps.modelDir ?? defaultModelDir(), model);
    } catch (error) {
      if (error instanceof WinnowError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
    const resumed = readCheckpoint(job.progress);
    const checkpoint: ReprocessCheckpoint = resumed ?? { enqueued: 0, total: await storedArticles(deps.store) };
    for (;;) {
      if (signal?.aborted) throw new Error(`reprocess ${model} stopped: ${String(signal.reason ?? 'cancelled')}`);
      const pageIds = await deps.store.listDonePageIds({ afterId: checkpoint.afterId, limit: batchSize });
      if (pageIds.length === 0) break;
      await deps.moderateQueue.addBulk(
        pageIds.map((pageId) => ({
          name: MODERATE_QUEUE,
          data: { pageId, model },
          opts: { jobId: reprocessModerateJobId(pageId, model), priority: REPROCESS_PRIORITY },
        })),
      );
      checkpoint.enqueued += pageIds.length;
      checkpoint.afterId = pageIds[pageIds.length - 1];
      checkpoint.total = Math.max(checkpoint.total, checkpoint.enqueued);
      await job.updateProgress({ ...checkpoint });
      if (pageIds.length < batchSize) break;
    }
    await job.updateProgress({ ...checkpoint, total: checkpoint.enqueued });
    return { model, enqueued: checkpoint.enqueued };
  };
}

/** Articles in the store, all models together: the run's total until it has paged through. */
async function storedArticles(store: Pick<Store, 'countArticlesByModel'>): Promise<number> {
  const counts = await store.countArticlesByModel();
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
