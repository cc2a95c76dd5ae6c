import { Backoffs, type BackoffStrategy } from 'bullmq';
import { HttpStatusError } from '../src/fetch/errors.js';

/**
 * Name of winnow's backoff strategy in job options (`backoff: { type: RETRY_AFTER_BACKOFF, delay,
 * jitter }`). BullMQ calls a worker's `settings.backoffStrategy` only for types it does not know
 * itself, so the default job options name this one; every winnow worker registers
 * {@link retryAfterBackoff} for it.
 */
export const RETRY_AFTER_BACKOFF = 'retry-after';

/**
 * Delay before a failed job's next attempt: what the server asked for when the attempt failed
 * on a 429 or 503 with a Retry-After header (the fetch stage has already failed the job when
 * that was over the limit), otherwise exponential backoff with jitter from the job's own
 * `backoff.delay` and `backoff.jitter`, exactly as BullMQ's built-in `exponential` computes it.
 */
export const retryAfterBackoff: BackoffStrategy = (attemptsMade, _type, error, job) => {
  if (error instanceof HttpStatusError && error.retryable && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const backoff = Backoffs.normalize(job?.opts.backoff ?? 0);
  return Backoffs.builtinStrategies.exponential(backoff?.delay ?? 0, backoff?.jitter)(attemptsMade);
};
