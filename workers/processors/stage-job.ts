import { WinnowError } from '../../src/errors.js';

/**
 * What a processor reads of a job. Both an in-process bullmq `Job` and the `SandboxedJob` a
 * child process receives have these fields.
 */
export interface StageJob<T> {
  id?: string;
  data: T;
  /** Attempts that already failed before this one. */
  attemptsMade: number;
  opts: { attempts?: number };
  /** Put the job back to delayed (both kinds of job have it; see workers/outage.ts). */
  moveToDelayed?(timestamp: number, token?: string): Promise<void>;
  /** Report progress; the parent's Worker emits it as a `progress` event. */
  updateProgress?(progress: object): Promise<void>;
}

/** True when this attempt is the job's last: a retryable failure now ends the job. */
export function isLastAttempt(job: StageJob<unknown>): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** A WinnowError that says retrying cannot help (bad input, blocked address, 4xx, ...). */
export function isPermanent(error: unknown): error is WinnowError {
  return error instanceof WinnowError && !error.retryable;
}

/** Failure reason as stored with a page: a WinnowError's code, else `error`. */
export function failureOf(error: unknown, fallbackCode = 'error'): { code: string; message: string } {
  if (error instanceof WinnowError) return { code: error.code, message: error.message };
  return { code: fallbackCode, message: error instanceof Error ? error.message : String(error) };
}
