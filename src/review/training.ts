import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultModelDir, packageRoot } from '../classify/model.js';
import { ConflictError, WinnowError } from '../errors.js';
import { defaultFixtureDir } from '../train/fixtures.js';
import type { EngineName } from '../types.js';
import type { ComparisonReport } from './compare.js';
import type { TrainChildMessage, TrainChildRequest } from './train-child.js';

export interface TrainingRunnerOptions {
  /** Fixture pages to train on. @defaultValue WINNOW_FIXTURES_DIR or `<package>/fixtures/pages` */
  fixturesDir?: string;
  /** Models folder: the current model is read there and the candidate saved there. @defaultValue WINNOW_MODEL_DIR or `<package>/models` */
  modelDir?: string;
  /** DOM engine the fixtures are analysed with. @defaultValue 'linkedom' */
  engine?: EngineName;
  /** Compiled child entry. @defaultValue `<package>/dist/src/review/train-child.js` */
  childFile?: string;
  /** Longest a training run may take; then its child is killed and the job fails. @defaultValue 600000 (10 min) */
  timeoutMs?: number;
  /** Cross-validation folds. @defaultValue 5, as `winnow train` */
  folds?: number;
  /** Called with a copy of a job whenever it changes (progress, end). */
  onUpdate?: (job: TrainingJob) => void;
}

export type TrainingState = 'running' | 'done' | 'failed';

/** One retraining run, as the review page shows it. */
export interface TrainingJob {
  id: string;
  state: TrainingState;
  /** Who started it. */
  by: string;
  /** ISO timestamps. */
  startedAt: string;
  finishedAt: string | null;
  /** Latest step: `analysing pages` i/n, `folds` i/k, `fitting`, `comparing` i/n, `saving`, then `done`. */
  progress: { stage: string; done: number; total: number };
  /** Version of the saved candidate model once done. */
  candidate: string | null;
  report: ComparisonReport | null;
  /** Why it failed (the child's own error, its stderr tail, or the time limit). */
  error: string | null;
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
/** Finished jobs kept for the review page. */
const KEPT_JOBS = 20;
/** How much of the child's stderr a failed job keeps. */
const STDERR_TAIL_CHARS = 2000;
const MAX_NAME_LENGTH = 64;

interface RunningChild {
  job: TrainingJob;
  child: ChildProcess;
  /** Set when the runner itself stops the child, as the job's error. */
  stop: { reason: string | null };
  closed: Promise<void>;
}

/**
 * Runs retraining in a child process, one run at a time, and keeps the state of the latest runs.
 *
 * Jobs live in the memory of the process that runs them (the API server): a restart forgets
 * them, and a run in progress dies with its server (its candidate is only saved at the very
 * end, so nothing half-written is left). The last 20 jobs are kept.
 */
export class TrainingRunner {
  /** Called with a copy of a job whenever it changes. */
  onUpdate?: (job: TrainingJob) => void;
  private readonly jobs = new Map<string, TrainingJob>();
  private running: RunningChild | null = null;
  private readonly fixturesDir: string;
  private readonly modelDir: string;
  private readonly childFile: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: TrainingRunnerOptions = {}) {
    this.fixturesDir = options.fixturesDir ?? defaultFixtureDir();
    this.modelDir = options.modelDir ?? defaultModelDir();
    this.childFile = options.childFile ?? join(packageRoot(), 'dist', 'src', 'review', 'train-child.js');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onUpdate = options.onUpdate;
  }

  /**
   * Start retraining in a child process.
   *
   * @throws ConflictError while another run is in progress (its job is `current`);
   *   WinnowError `bad_input` for a bad name, `not_found` when the child is not built.
   */
  start(by: string): TrainingJob {
    if (typeof by !== 'string' || by.trim().length === 0 || by.length > MAX_NAME_LENGTH) {
      throw new WinnowError('bad_input', `by must be a name of 1 to ${MAX_NAME_LENGTH} characters`);
    }
    if (this.running) throw new ConflictError(`training job ${this.running.job.id} is still running`, copy(this.running.job));
    if (!existsSync(this.childFile)) throw new WinnowError('not_found', `training child ${this.childFile} is missing; run \`npm run build\``);

    const job: TrainingJob = {
      id: randomUUID(),
      state: 'running',
      by,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      progress: { stage: 'starting', done: 0, total: 0 },
      candidate: null,
      report: null,
      error: null,
    };
    // execArgv left empty: the parent's flags (test runners, inspectors) are not the child's business.
    const child = fork(this.childFile, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    this.remember(job);
    const stop: RunningChild['stop'] = { reason: null };
    this.running = { job, child, stop, closed: this.watch(job, child, stop) };
    const request: TrainChildRequest = { fixturesDir: this.fixturesDir, modelDir: this.modelDir, engine: this.options.engine, folds: this.options.folds };
    child.send(request, (error) => {
      if (error) child.kill('SIGKILL');
    });
    this.changed(job);
    return copy(job);
  }

  get(id: string): TrainingJob | null {
    const job = this.jobs.get(id);
    return job ? copy(job) : null;
  }

  /** The most recently started job, or null. */
  latest(): TrainingJob | null {
    const jobs = [...this.jobs.values()];
    return jobs.length > 0 ? copy(jobs[jobs.length - 1]) : null;
  }

  /** Kept jobs, newest first. */
  list(): TrainingJob[] {
    return [...this.jobs.values()].reverse().map(copy);
  }

  /** Process id of a running job's child, or null (operators and tests use it). */
  pid(id: string): number | null {
    return this.running?.job.id === id ? (this.running.child.pid ?? null) : null;
  }

  /** Stop a running child (the job fails) and wait for it to exit: call on server shutdown. */
  async close(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.stop.reason = 'stopped: the server shut down';
    running.child.kill('SIGTERM');
    await running.closed;
  }

  /** Follow the child to its end: progress, result, stderr, time limit, exit. */
  private watch(job: TrainingJob, child: ChildProcess, stop: { reason: string | null }): Promise<void> {
    let stderr = '';
    let result: Extract<TrainChildMessage, { type: 'done' }> | null = null;
    let timedOut = false;
    let spawnError: Error | null = null;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, this.timeoutMs);

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (message: TrainChildMessage) => {
      if (message.type === 'progress') {
        job.progress = { stage: message.stage, done: message.done, total: message.total };
        this.changed(job);
      } else if (message.type === 'done') {
        result = message;
      }
    });
    child.on('error', (error) => {
      spawnError = error;
    });

    return new Promise((resolve) => {
      // 'close' comes after stdio has ended, so the stderr tail is complete.
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        job.finishedAt = new Date().toISOString();
        if (result && !timedOut) {
          job.state = 'done';
          job.candidate = result.candidate;
          job.report = result.report;
          job.progress = { stage: 'done', done: 1, total: 1 };
        } else {
          job.state = 'failed';
          job.error = failureMessage({ timedOut, timeoutMs: this.timeoutMs, stopped: stop.reason, code, signal, stderr, spawnError });
        }
        this.running = null;
        this.changed(job);
        resolve();
      });
    });
  }

  private remember(job: TrainingJob): void {
    this.jobs.set(job.id, job);
    for (const [id, kept] of this.jobs) {
      if (this.jobs.size <= KEPT_JOBS) break;
      if (kept.state !== 'running') this.jobs.delete(id);
    }
  }

  private changed(job: TrainingJob): void {
    try {
      this.onUpdate?.(copy(job));
    } catch {
      // A listener's failure is not the training's.
    }
  }
}

function failureMessage(end: {
  timedOut: boolean;
  timeoutMs: number;
  stopped: string | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  spawnError: Error | null;
}): string {
  if (end.timedOut) return `training ran over the limit of ${end.timeoutMs} ms and was stopped`;
  if (end.stopped) return end.stopped;
  if (end.spawnError) return `training child could not run: ${end.spawnError.message}`;
  const how = end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code}`;
  const tail = end.stderr.trim();
  return tail ? `training child ${how}: ${tail}` : `training child ${how} before finishing`;
}

function copy(job: TrainingJob): TrainingJob {
  return structuredClone(job);
}
