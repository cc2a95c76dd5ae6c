import { DelayedError, type Worker } from 'bullmq';
import { isStoreUnavailable } from '../src/storage/unavailable.js';

/**
 * Outages are waits, not failures: a job that meets an unreachable store (PostgreSQL down, SQLite
 * file locked or full) goes back to *delayed* without using up an attempt, and its worker process
 * pauses until the store answers again. Attempts and backoff stay for the page's own faults.
 *
 * Why this mechanism, of those BullMQ 6 offers:
 * - `throw Worker.RateLimitError()` after `worker.rateLimit(ms)` puts the job back without an
 *   attempt, but the rate limit is a Worker (or Queue) call, which a sandboxed child does not
 *   have; a child could only throw the error, and with no limit set BullMQ takes the job again at
 *   once, in a tight loop. It would also stop every worker of the queue, those whose store is
 *   fine included.
 * - `job.moveToDelayed(ts, token)` + `throw new DelayedError()` is proxied to sandboxed children
 *   (child-processor.js `moveToDelayed`; the worker recognises the error by its name), works the
 *   same in-process, and uses no attempt. That is what every stage does (see {@link waitForStore}).
 * - `worker.pause()` / `resume()` is local to one worker process: this process stops taking jobs
 *   while its store is down, instead of taking each job only to put it back. The
 *   {@link StoreOutageGate} does that; a sandboxed child tells it through the job's progress
 *   (`{ outage }`), the one channel from a child to its parent's Worker (`'progress'` event).
 *
 * A Redis outage needs nothing of this: worker connections wait across reconnects
 * (`maxRetriesPerRequest: null`), so every queue call, and the worker itself, waits for Redis.
 */

/** How long a job that met an unreachable store is put off, by default (WINNOW_OUTAGE_PROBE_MS). */
export const DEFAULT_OUTAGE_WAIT_MS = 2000;

/** What a job reports as progress when it met an outage; the parent's gate listens for it. */
export interface OutageProgress {
  outage: 'store';
  message: string;
}

/** The part of a job (in-process or sandboxed) that {@link waitForStore} uses. */
export interface DelayableJob {
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
  updateProgress?(progress: OutageProgress): Promise<void>;
}

/** True when `progress` is an {@link OutageProgress}. */
export function isOutageProgress(progress: unknown): progress is OutageProgress {
  return typeof progress === 'object' && progress !== null && (progress as { outage?: unknown }).outage === 'store';
}

/** True when the error is the store being unreachable rather than anything about the page. */
export { isStoreUnavailable };

/**
 * Put the job back to *delayed* for about `waitMs` (±25%, so a burst of jobs does not come back
 * at once) and throw the DelayedError that tells BullMQ no attempt was used. `report` is told
 * first (in-process: the gate itself; sandboxed: the job's progress).
 */
export async function waitForStore(job: DelayableJob, token: string | undefined, waitMs: number, error: unknown): Promise<never> {
  const message = error instanceof Error ? error.message : String(error);
  await job.updateProgress?.({ outage: 'store', message }).catch(() => undefined);
  const jitter = Math.round(waitMs * 0.25 * (Math.random() * 2 - 1));
  await job.moveToDelayed(Date.now() + waitMs + jitter, token);
  throw new DelayedError(`store unavailable, job put off: ${message}`);
}

export interface StoreOutageGateOptions {
  /** The workers to pause while the store is down (all of this process's). */
  workers: () => readonly Worker[];
  /** Resolves when the store answers, rejects while it does not. */
  probe: () => Promise<unknown>;
  /** Time between probes while paused. */
  probeMs: number;
  log: (line: string) => void;
}

/**
 * Pauses this process's workers when a job reports the store unavailable, probes the store every
 * `probeMs`, and resumes them once it answers. Active jobs are not waited for: they meet the same
 * outage and put themselves off. Reporting again while paused does nothing.
 */
export class StoreOutageGate {
  private paused: Worker[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Outages seen since start (for logs and tests). */
  outages = 0;

  constructor(private readonly options: StoreOutageGateOptions) {}

  /** True while the workers are held. */
  get holding(): boolean {
    return this.paused !== undefined;
  }

  report(message: string): void {
    if (this.closed || this.paused) return;
    this.outages++;
    const paused = this.options.workers().filter((worker) => worker.closing === undefined && !worker.isPaused());
    this.paused = paused;
    this.options.log(`store unavailable (${message}); pausing ${paused.length} worker(s) until it answers`);
    for (const worker of paused) void worker.pause(true).catch(() => undefined);
    this.schedule();
  }

  /** Stop probing; paused workers stay paused (the process is closing them). Idempotent. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.check(), this.options.probeMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    try {
      await this.options.probe();
    } catch {
      this.schedule();
      return;
    }
    if (this.closed) return;
    const paused = this.paused ?? [];
    this.paused = undefined;
    this.options.log(`store answers again; resuming ${paused.length} worker(s)`);
    for (const worker of paused) if (worker.closing === undefined) void worker.resume().catch(() => undefined);
  }
}
