import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { isEngineName } from './dom/engine.js';
import type { EngineName } from './types.js';

/**
 * Every setting once: name, environment variable, default. Read through `loadConfig()`, which
 * validates values so a typo fails at start-up with a clear message instead of mid-run.
 *
 * | setting      | env var               | default                 |
 * |--------------|-----------------------|-------------------------|
 * | engine       | WINNOW_ENGINE         | linkedom                |
 * | databasePath | WINNOW_DB             | ./winnow.db             |
 * | modelDir     | WINNOW_MODEL_DIR      | <package>/models        |
 * | fixturesDir  | WINNOW_FIXTURES_DIR   | <package>/fixtures/pages|
 * | redisUrl            | REDIS_URL                   | redis://127.0.0.1:6379 |
 * | queuePrefix         | WINNOW_QUEUE_PREFIX         | {winnow}               |
 * | fetchConcurrency    | WINNOW_FETCH_CONCURRENCY    | 8                      |
 * | moderateConcurrency | WINNOW_MODERATE_CONCURRENCY | number of cores        |
 * | jobTimeoutMs        | WINNOW_JOB_TIMEOUT_MS       | 60000                  |
 * | shutdownTimeoutMs   | WINNOW_SHUTDOWN_TIMEOUT_MS  | 30000                  |
 * | useWorkerThreads    | WINNOW_USE_WORKER_THREADS   | false                  |
 * | apiPort             | WINNOW_API_PORT             | 8080                   |
 * | apiHost             | WINNOW_API_HOST             | 127.0.0.1              |
 * | apiToken            | WINNOW_API_TOKEN            | unset                  |
 * | respectRobots       | WINNOW_RESPECT_ROBOTS       | true                   |
 * | hostConcurrency     | WINNOW_HOST_CONCURRENCY     | 1                      |
 * | hostDelayMs         | WINNOW_HOST_DELAY_MS        | 1000                   |
 * | lockDurationMs      | WINNOW_LOCK_MS              | 30000                  |
 * | stalledIntervalMs   | WINNOW_STALLED_INTERVAL_MS  | 30000                  |
 * | maxStalledCount     | WINNOW_MAX_STALLED_COUNT    | 1                      |
 * | fetchConnectTimeoutMs | WINNOW_FETCH_CONNECT_TIMEOUT_MS | 10000            |
 * | fetchTimeoutMs      | WINNOW_FETCH_TIMEOUT_MS     | 30000                  |
 * | fetchMaxBytes       | WINNOW_FETCH_MAX_BYTES      | 10485760               |
 * | maxRetryAfterMs     | WINNOW_MAX_RETRY_AFTER_MS   | 3600000                |
 * | reconcileIntervalMs | WINNOW_RECONCILE_INTERVAL_MS | 60000 (0 = off)       |
 * | reconcileAfterMs    | WINNOW_RECONCILE_AFTER_MS   | 300000                 |
 * | maxRequeues         | WINNOW_MAX_REQUEUES         | 3                      |
 * | outageProbeMs       | WINNOW_OUTAGE_PROBE_MS      | 2000                   |
 */
export interface WinnowConfig {
  /** DOM engine for parsing pages. */
  engine: EngineName;
  /** SQLite file results are stored in (embedded default storage). */
  databasePath: string;
  /** Redis the job queues live in. @defaultValue redis://127.0.0.1:6379 */
  redisUrl: string;
  /**
   * BullMQ key prefix. Braces make it a Redis Cluster hash tag, so every key of every queue
   * lands in one slot (BullMQ's scripts touch several keys at once). @defaultValue {winnow}
   */
  queuePrefix: string;
  /** Fetch jobs one worker process runs at once (I/O bound). @defaultValue 8 */
  fetchConcurrency: number;
  /** Moderate jobs one worker process runs at once, each in a sandboxed child. @defaultValue number of cores */
  moderateConcurrency: number;
  /** Most time one moderate job may take; then its child is killed and the job fails retryably. @defaultValue 60000 */
  jobTimeoutMs: number;
  /** How long a worker waits for active jobs on shutdown before forcing the close. @defaultValue 30000 */
  shutdownTimeoutMs: number;
  /** Run sandboxed moderate jobs in worker threads instead of child processes. @defaultValue false */
  useWorkerThreads: boolean;
  /** Port `winnow serve` listens on. @defaultValue 8080 */
  apiPort: number;
  /** Address `winnow serve` binds. @defaultValue 127.0.0.1 */
  apiHost: string;
  /**
   * Bearer token the HTTP API requires (at least 32 characters; checked when the server starts,
   * not here, so other commands run without one). Never logged. @defaultValue unset
   */
  apiToken: string | undefined;
  /** The fetch stage obeys robots.txt (RFC 9309) and its Crawl-delay. @defaultValue true */
  respectRobots: boolean;
  /** Fetches in flight per host (host:port), across every worker process sharing the Redis. @defaultValue 1 */
  hostConcurrency: number;
  /**
   * Least time between two fetches from one host (host:port), across every worker process; a larger
   * robots.txt Crawl-delay (capped at 30 s) wins. 0 turns the delay off. @defaultValue 1000
   */
  hostDelayMs: number;
  /**
   * How long a worker's lock on an active job lasts; it is renewed every half of it. A worker
   * that stops renewing (crashed, frozen) loses its jobs to the stall check after this.
   * @defaultValue 30000 (bullmq's)
   */
  lockDurationMs: number;
  /** How often each worker looks for jobs whose lock expired (stalled jobs). @defaultValue 30000 (bullmq's) */
  stalledIntervalMs: number;
  /** Times a job may stall and be restarted before it fails as stalled; 0 fails it on the first stall. @defaultValue 1 (bullmq's) */
  maxStalledCount: number;
  /** Time to resolve a host and open the connection (TLS included), per fetch hop. @defaultValue 10000 */
  fetchConnectTimeoutMs: number;
  /** Time for a whole fetch: every redirect hop, the headers and the full body. @defaultValue 30000 */
  fetchTimeoutMs: number;
  /** Most body bytes a fetch accepts, counted after decompression; over it the fetch fails with `too_large`. @defaultValue 10485760 (10 MiB) */
  fetchMaxBytes: number;
  /**
   * Longest Retry-After (on a 429 or 503) a fetch job waits for before its next attempt; a longer
   * one fails the job at once with `http_error`. @defaultValue 3600000 (1 h)
   */
  maxRetryAfterMs: number;
  /**
   * How often a worker process runs the stage reconciler (workers/reconciler.ts), which queues
   * again the job of every page stuck in a stage with no live job; 0 turns it off.
   * @defaultValue 60000
   */
  reconcileIntervalMs: number;
  /** How long a page must have sat in `pending` or `fetched` before the reconciler looks at it. @defaultValue 300000 (5 min) */
  reconcileAfterMs: number;
  /** Times the reconciler queues a page's job again before it records the page failed instead. @defaultValue 3 */
  maxRequeues: number;
  /** While the store is unreachable, how often a paused worker checks whether it is back. @defaultValue 2000 */
  outageProbeMs: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WinnowConfig {
  const engine = env.WINNOW_ENGINE ?? 'linkedom';
  if (!isEngineName(engine)) throw new Error(`WINNOW_ENGINE must be "jsdom" or "linkedom", not "${engine}"`);
  return {
    engine,
    databasePath: resolve(env.WINNOW_DB ?? 'winnow.db'),
    redisUrl: redisUrl(env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
    queuePrefix: queuePrefix(env.WINNOW_QUEUE_PREFIX ?? '{winnow}'),
    fetchConcurrency: positiveInteger('WINNOW_FETCH_CONCURRENCY', env.WINNOW_FETCH_CONCURRENCY, 8),
    moderateConcurrency: positiveInteger('WINNOW_MODERATE_CONCURRENCY', env.WINNOW_MODERATE_CONCURRENCY, availableParallelism()),
    jobTimeoutMs: positiveInteger('WINNOW_JOB_TIMEOUT_MS', env.WINNOW_JOB_TIMEOUT_MS, 60_000),
    shutdownTimeoutMs: positiveInteger('WINNOW_SHUTDOWN_TIMEOUT_MS', env.WINNOW_SHUTDOWN_TIMEOUT_MS, 30_000),
    useWorkerThreads: flag('WINNOW_USE_WORKER_THREADS', env.WINNOW_USE_WORKER_THREADS, false),
    apiPort: port('WINNOW_API_PORT', env.WINNOW_API_PORT, 8080),
    apiHost: env.WINNOW_API_HOST?.trim() || '127.0.0.1',
    apiToken: env.WINNOW_API_TOKEN === undefined || env.WINNOW_API_TOKEN === '' ? undefined : env.WINNOW_API_TOKEN,
    respectRobots: flag('WINNOW_RESPECT_ROBOTS', env.WINNOW_RESPECT_ROBOTS, true),
    hostConcurrency: positiveInteger('WINNOW_HOST_CONCURRENCY', env.WINNOW_HOST_CONCURRENCY, 1),
    hostDelayMs: wholeNumber('WINNOW_HOST_DELAY_MS', env.WINNOW_HOST_DELAY_MS, 1000),
    lockDurationMs: positiveInteger('WINNOW_LOCK_MS', env.WINNOW_LOCK_MS, 30_000),
    stalledIntervalMs: positiveInteger('WINNOW_STALLED_INTERVAL_MS', env.WINNOW_STALLED_INTERVAL_MS, 30_000),
    maxStalledCount: wholeNumber('WINNOW_MAX_STALLED_COUNT', env.WINNOW_MAX_STALLED_COUNT, 1),
    fetchConnectTimeoutMs: positiveInteger('WINNOW_FETCH_CONNECT_TIMEOUT_MS', env.WINNOW_FETCH_CONNECT_TIMEOUT_MS, 10_000),
    fetchTimeoutMs: positiveInteger('WINNOW_FETCH_TIMEOUT_MS', env.WINNOW_FETCH_TIMEOUT_MS, 30_000),
    fetchMaxBytes: positiveInteger('WINNOW_FETCH_MAX_BYTES', env.WINNOW_FETCH_MAX_BYTES, 10 * 1024 * 1024),
    maxRetryAfterMs: wholeNumber('WINNOW_MAX_RETRY_AFTER_MS', env.WINNOW_MAX_RETRY_AFTER_MS, 3_600_000),
    reconcileIntervalMs: wholeNumber('WINNOW_RECONCILE_INTERVAL_MS', env.WINNOW_RECONCILE_INTERVAL_MS, 60_000),
    reconcileAfterMs: wholeNumber('WINNOW_RECONCILE_AFTER_MS', env.WINNOW_RECONCILE_AFTER_MS, 300_000),
    maxRequeues: wholeNumber('WINNOW_MAX_REQUEUES', env.WINNOW_MAX_REQUEUES, 3),
    outageProbeMs: positiveInteger('WINNOW_OUTAGE_PROBE_MS', env.WINNOW_OUTAGE_PROBE_MS, 2000),
  };
}

function redisUrl(value: string): string {
  if (!URL.canParse(value) || !/^rediss?:$/.test(new URL(value).protocol)) {
    throw new Error(`REDIS_URL must be a redis:// or rediss:// URL, not "${value}"`);
  }
  return value;
}

/** BullMQ joins prefix, queue name and job id with ':'; an empty prefix would put the keys at the top level. */
function queuePrefix(value: string): string {
  if (value.trim() === '' || /\s/.test(value)) throw new Error(`WINNOW_QUEUE_PREFIX must be a non-empty word, not "${value}"`);
  return value;
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number >= 1, not "${value}"`);
  return n;
}

function wholeNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0, not "${value}"`);
  return n;
}

/** A TCP port, 0 (any free port) to 65535. */
export function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number 0-65535, not "${value}"`);
  return n;
}

function flag(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`${name} must be true or false, not "${value}"`);
}
