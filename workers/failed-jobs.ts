import type { WinnowConfig } from '../src/config.js';
import type { Store } from '../src/storage/store.js';
import { createProducerConnection, createQueues, createReprocessQueue, REPROCESS_QUEUE, STAGES, waitForReady } from './queues.js';

/** A failed job as listed: where it failed, why, and after how many attempts. */
export interface FailedJob {
  stage: string;
  id: string;
  input: string;
  reason: string;
  attempts: number;
  failedAt: string | null;
}

export interface FailedJobsOptions {
  config: Pick<WinnowConfig, 'redisUrl' | 'queuePrefix'>;
  /** Most jobs listed per stage. @defaultValue 100 */
  limit?: number;
  /** Move the listed jobs back to waiting. */
  retry?: boolean;
}

/**
 * Failed jobs still kept in Redis (BullMQ keeps the newest 5,000 per queue) of every queue,
 * reprocess runs included, newest first, and optionally retried. The database keeps every
 * failure for good; Redis only the recent ones.
 */
export async function failedJobs(options: FailedJobsOptions): Promise<{ jobs: FailedJob[]; retried: number }> {
  const connection = createProducerConnection(options.config.redisUrl);
  connection.on('error', () => undefined);
  const prefix = options.config.queuePrefix;
  const queues = { ...createQueues(connection, { prefix }), [REPROCESS_QUEUE]: createReprocessQueue(connection, { prefix }) };
  try {
    await waitForReady(connection);
    const jobs: FailedJob[] = [];
    let retried = 0;
    for (const stage of [...STAGES, REPROCESS_QUEUE] as const) {
      for (const job of await queues[stage].getFailed(0, (options.limit ?? 100) - 1)) {
        if (!job?.id) continue;
        const data = job.data as { url?: string; pageId?: string; model?: string };
        jobs.push({
          stage,
          id: job.id,
          input: data.url ?? data.pageId ?? data.model ?? '',
          reason: job.failedReason ?? '',
          attempts: job.attemptsMade,
          failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        });
        if (options.retry) {
          await job.retry('failed');
          retried++;
        }
      }
    }
    return { jobs, retried };
  } finally {
    await Promise.all([queues.fetch.close(), queues.moderate.close(), queues[REPROCESS_QUEUE].close()]);
    connection.disconnect();
  }
}

/** `winnow failed`: failed jobs from Redis, then failed pages from the database, and a retry switch. */
export async function failedCommand(options: FailedJobsOptions & { store: Store; stdout?: NodeJS.WritableStream }): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  const { jobs, retried } = await failedJobs(options);
  stdout.write(`failed jobs in the queue: ${jobs.length}\n`);
  for (const job of jobs) {
    stdout.write(`${job.stage}\t${job.id}\t${job.attempts} attempt(s)\t${job.failedAt ?? '-'}\t${job.input}\t${job.reason}\n`);
  }
  if (options.retry) stdout.write(`retried ${retried} job(s)\n`);
  const pages = await options.store.listFailures(options.limit ?? 100);
  stdout.write(`failed pages in the database: ${pages.length}\n`);
  for (const page of pages) {
    stdout.write(`${page.id}\t${page.updatedAt}\t${page.errorCode}\t${page.url ?? page.name ?? ''}\t${page.errorMessage ?? ''}\n`);
  }
}
