import { createHash } from 'node:crypto';
import { Queue, type DefaultJobOptions, type JobState } from 'bullmq';
import { Redis } from 'ioredis';
import { WinnowError } from '../src/errors.js';
import type { Store } from '../src/storage/store.js';
import { normalizeUrl } from '../src/storage/url-key.js';
import { RETRY_AFTER_BACKOFF } from './backoff.js';

/** Queue of URLs to fetch and store; each fetched page adds a job to {@link MODERATE_QUEUE}. */
export const FETCH_QUEUE = 'fetch';
/** Queue of stored pages to moderate (CPU work, run in sandboxed children). */
export const MODERATE_QUEUE = 'moderate';

/**
 * Queue of reprocess runs: one job per promoted model version, which adds a moderate job with
 * that version for every stored page. Run by the moderate stage's worker processes.
 */
export const REPROCESS_QUEUE = 'reprocess';

/** Stages a worker process can run; each has its own queue. */
export const STAGES = [FETCH_QUEUE, MODERATE_QUEUE] as const;
export type Stage = (typeof STAGES)[number];

/**
 * BullMQ key prefix. The braces are a Redis Cluster hash tag: every key of both queues hashes to
 * one slot, which BullMQ's multi-key scripts need on a cluster.
 */
export const DEFAULT_QUEUE_PREFIX = '{winnow}';

/** Fetch job: the URL only, never a body (job data sits in Redis in clear text). */
export interface FetchJobData {
  /** Absolute http(s) URL as submitted; the page is stored under it whatever the redirects. */
  url: string;
  /**
   * Set when an attempt was put off at a redirect because the target's host was busy: the next
   * attempt starts at that hop instead of asking `url` again, with `redirects` (followed so far)
   * counted against the redirect limit.
   */
  resume?: { url: string; redirects: number };
}

export interface FetchJobResult {
  url: string;
  /** Stored page holding the fetched bytes. */
  pageId: string;
  /** Moderate job added for the page. */
  moderateJobId: string;
  /** Body size after Content-Encoding was undone. */
  bytes: number;
}

/** Moderate job: the id of a stored page; the worker reads its bytes from the store. */
export interface ModerateJobData {
  pageId: string;
  /**
   * Model version to moderate with (reprocessing names the promoted one).
   * @defaultValue the current version, read from `models/current.json` when the job runs
   */
  model?: string;
}

export interface ModerateJobResult {
  pageId: string;
  articleId: string;
  title: string | null;
  blocks: number;
  /** Model version the article was labeled with. */
  model: string;
}

/** Reprocess job: moderate every stored page again with `model`. */
export interface ReprocessJobData {
  /** Model version (a file `models/<model>.json` every moderate worker can read). */
  model: string;
  /** Who asked for it (a reviewer, `promote`, a CLI user), kept for the record. */
  by: string;
}

/**
 * What a reprocess job reports as its progress, and its checkpoint: a retried job resumes
 * after `afterId` instead of paging through the store from the start.
 */
export interface ReprocessCheckpoint {
  /** Moderate jobs added so far. */
  enqueued: number;
  /** Pages to reprocess: an estimate (stored articles) while paging, the exact count once done. */
  total: number;
  /** Last page id whose moderate job was added. */
  afterId?: string;
}

export interface ReprocessJobResult {
  model: string;
  /** Moderate jobs added. */
  enqueued: number;
}

/**
 * Options every job gets unless the producer overrides them. Exponential backoff waits
 * 2 s, 4 s, 8 s, 16 s between the 5 attempts (each ±half with jitter, so retries of a burst of
 * jobs that failed together spread out), except after a 429 or 503 with Retry-After, which
 * waits what the server asked (workers/backoff.ts). Retention is bounded: BullMQ keeps finished
 * jobs forever by default, and failures that matter are recorded in the database anyway.
 */
export const DEFAULT_JOB_OPTIONS: Readonly<DefaultJobOptions> = Object.freeze({
  attempts: 5,
  backoff: { type: RETRY_AFTER_BACKOFF, delay: 2000, jitter: 0.5 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
});

/** Where the queues live. */
export interface QueueSettings {
  /** Redis URL. @defaultValue redis://127.0.0.1:6379 */
  redisUrl: string;
  /** BullMQ key prefix. @defaultValue DEFAULT_QUEUE_PREFIX */
  prefix?: string;
  /** Default options of added jobs. @defaultValue DEFAULT_JOB_OPTIONS */
  jobOptions?: DefaultJobOptions;
}

/**
 * A connection for workers (and the queues they add to): commands wait across reconnects
 * (`maxRetriesPerRequest: null`, which BullMQ requires for blocking calls) and ioredis reconnects
 * forever, 1 s to 20 s apart.
 */
export function createWorkerConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.max(Math.min(Math.exp(times), 20_000), 1000),
  });
}

/**
 * A connection for producers (CLI, API): with the offline queue off a command fails at once
 * while Redis is unreachable, so a caller can answer "try later" instead of hanging.
 */
export function createProducerConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
}

/**
 * Resolves once `client` is connected; rejects after `timeoutMs` (Redis down or unreachable).
 * A producer connection must be ready before a Queue is built on it.
 */
export async function waitForReady(client: Redis, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError: unknown;
    const onError = (error: unknown): void => {
      lastError = error;
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      reject(new Error(`Redis is not reachable within ${timeoutMs} ms${reason}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

/**
 * The reprocess queue on `connection`, with the winnow prefix. Kept apart from
 * {@link createQueues}: only the moderate stage and whoever starts a run use it.
 */
export function createReprocessQueue(
  connection: Redis,
  settings: Pick<QueueSettings, 'prefix' | 'jobOptions'> = {},
): Queue<ReprocessJobData, ReprocessJobResult> {
  return new Queue<ReprocessJobData, ReprocessJobResult>(REPROCESS_QUEUE, {
    connection,
    prefix: settings.prefix ?? DEFAULT_QUEUE_PREFIX,
    defaultJobOptions: settings.jobOptions ?? DEFAULT_JOB_OPTIONS,
  });
}

/** Both queues on one connection, with the winnow prefix and default job options. */
export function createQueues(
  connection: Redis,
  settings: Pick<QueueSettings, 'prefix' | 'jobOptions'> = {},
): { fetch: Queue<FetchJobData, FetchJobResult>; moderate: Queue<ModerateJobData, ModerateJobResult> } {
  const options = {
    connection,
    prefix: settings.prefix ?? DEFAULT_QUEUE_PREFIX,
    defaultJobOptions: settings.jobOptions ?? DEFAULT_JOB_OPTIONS,
  };
  return {
    fetch: new Queue<FetchJobData, FetchJobResult>(FETCH_QUEUE, options),
    moderate: new Queue<ModerateJobData, ModerateJobResult>(MODERATE_QUEUE, options),
  };
}

/**
 * Fetch job id: `u-` and the hex sha256 of the normalised URL, so the same page submitted twice
 * while its job is still kept in Redis is one job (ids must not contain ':' nor be all digits).
 *
 * @throws WinnowError `bad_input` when `url` is not an absolute URL.
 */
export function fetchJobId(url: string): string {
  return `u-${createHash('sha256').update(normalizeUrl(url)).digest('hex')}`;
}

/** Moderate job id: `p-<pageId>`; one job per stored page. */
export function moderateJobId(pageId: string): string {
  return `p-${pageId}`;
}

/**
 * Moderate job id of a reprocessed page: `p-<pageId>-<model>`, so the page's own `p-<pageId>`
 * job, still kept in Redis after it completed, does not swallow it.
 */
export function reprocessModerateJobId(pageId: string, model: string): string {
  return `p-${pageId}-${model}`;
}

/** Reprocess job id: `r-<model>`, one reprocess run per model version. */
export function reprocessJobId(model: string): string {
  return `r-${model}`;
}

/** A model version as it appears in file names and job ids (which must not contain ':'). */
const MODEL_VERSION = /^[A-Za-z0-9][\w.-]{0,127}$/;

/**
 * Priority of the moderate jobs a reprocess run adds. BullMQ takes jobs without a priority
 * first, so pages submitted meanwhile are not stuck behind a whole reprocessed store.
 */
export const REPROCESS_PRIORITY = 10;

/** What adding a job did. */
export interface Enqueued {
  jobId: string;
  /** False when a job with this id already existed (BullMQ ignored the add). */
  created: boolean;
  /** State of the job that already existed, when `created` is false. */
  existingState?: JobState | 'unknown';
}

/** Add a fetch job for `url` (deduplicated on the normalised URL). */
export function enqueueFetch(queue: Queue<FetchJobData, FetchJobResult>, url: string): Promise<Enqueued> {
  return addOnce(queue, FETCH_QUEUE, { url }, fetchJobId(url));
}

/**
 * Add a reprocess run for a model version (deduplicated on the version: a second call while
 * the run is kept in Redis reports the existing one).
 *
 * Rejects with WinnowError `bad_input` when `model` is not a model version name, or `by` is empty.
 */
export async function enqueueReprocess(queue: Queue<ReprocessJobData, ReprocessJobResult>, data: ReprocessJobData): Promise<Enqueued> {
  if (typeof data.model !== 'string' || !MODEL_VERSION.test(data.model)) {
    throw new WinnowError('bad_input', `not a model version: ${JSON.stringify(String(data.model).slice(0, 200))}`);
  }
  if (typeof data.by !== 'string' || data.by.trim() === '') throw new WinnowError('bad_input', 'a reprocess run needs `by` (who asked for it)');
  return addOnce(queue, REPROCESS_QUEUE, { model: data.model, by: data.by }, reprocessJobId(data.model));
}

/** Where a reprocess run stands. */
export interface ReprocessProgress {
  id: string;
  state: JobState | 'unknown';
  progress: {
    /** Stored articles labeled by `model` (capped at `total`: pages stored since count too). */
    done: number;
    /** Pages the run covers (see {@link ReprocessCheckpoint.total}). */
    total: number;
    model: string;
  };
}

/**
 * Progress of the reprocess run `jobId`, or null when Redis no longer has the job. `done`
 * counts articles in the store, so it moves as moderate jobs complete, not as they are added.
 */
export async function reprocessProgress(
  queue: Queue<ReprocessJobData, ReprocessJobResult>,
  store: Pick<Store, 'countArticlesByModel'>,
  jobId: string,
): Promise<ReprocessProgress | null> {
  const job = await queue.getJob(jobId);
  if (!job) return null;
  const [state, counts] = await Promise.all([job.getState(), store.countArticlesByModel()]);
  const { model } = job.data;
  const checkpoint = readCheckpoint(job.progress);
  const total = checkpoint?.total ?? Object.values(counts).reduce((sum, n) => sum + n, 0);
  return { id: jobId, state, progress: { done: Math.min(counts[model] ?? 0, total), total, model } };
}

/** A reprocess job's progress as written by the processor, or undefined before it first reported. */
export function readCheckpoint(progress: unknown): ReprocessCheckpoint | undefined {
  if (typeof progress !== 'object' || progress === null) return undefined;
  const { enqueued, total, afterId } = progress as Partial<ReprocessCheckpoint>;
  if (typeof enqueued !== 'number' || typeof total !== 'number') return undefined;
  return { enqueued, total, ...(typeof afterId === 'string' ? { afterId } : {}) };
}

/** Add a moderate job for a stored page (deduplicated on the page id). */
export function enqueueModerate(queue: Queue<ModerateJobData, ModerateJobResult>, pageId: string): Promise<Enqueued> {
  return addOnce(queue, MODERATE_QUEUE, { pageId }, moderateJobId(pageId));
}

/**
 * Add a job under a custom id. BullMQ itself ignores a duplicate id atomically; the lookup
 * before only tells the caller whether this add created the job (two concurrent adds may both
 * report "created", never two jobs).
 */
async function addOnce<D, R>(queue: Queue<D, R>, name: string, data: D, jobId: string): Promise<Enqueued> {
  const existing = await queue.getJobState(jobId);
  if (existing !== 'unknown') return { jobId, created: false, existingState: existing };
  // BullMQ's generics key the job name on the data type; a plain string name is what is stored.
  await (queue as Queue).add(name, data, { jobId });
  return { jobId, created: true };
}
