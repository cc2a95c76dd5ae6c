/**
 * Fault tests with real processes and real services (RELIABILITY.md §5 faults 1-4 and 12; the
 * stage ledger's own scenarios are in tests/e2e/ledger-faults.test.ts and tests/queue/ledger.test.ts):
 * a worker SIGKILLed mid-fetch, Redis restarted mid-run, PostgreSQL down for a while, a server
 * that never answers and a redirect loop.
 *
 * Workers run as OS processes from tests/e2e/worker-entry.mjs: the compiled runWorkersUntilSignal
 * that `winnow worker` runs, with short bullmq locks (lockDuration 1000 ms, stalledInterval 300 ms)
 * and, where needed, a short fetch deadline. `winnow worker` itself has no setting for either yet.
 */
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchJobId, type FetchJobData, type FetchJobResult, type ModerateJobData, type ModerateJobResult } from '../../workers/queues.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestRedis } from '../helpers/redis.js';
import {
  articleCount,
  dbCounts,
  killAllWorkers,
  openApi,
  pageUrls,
  queuesDrained,
  sleep,
  spawnWorker,
  startE2eServices,
  testPrefix,
  waitFor,
  type Api,
  type DbTarget,
  type E2eServices,
  type PageServer,
  type WorkerProcess,
} from './support.js';

/** Short locks, as bullmq's own stall tests use: a lost worker is noticed in about a second. */
const FAST_LOCKS = { E2E_LOCK_DURATION_MS: '1000', E2E_STALLED_INTERVAL_MS: '300' };

let services: E2eServices | undefined;
let redis: TestRedis;
let postgres: TestPostgres;
let server: PageServer;
let tmp: string;
let api: Api | undefined;

beforeAll(async () => {
  services = await startE2eServices('winnow-e2e-faults-');
  ({ redis, postgres, server, tmp } = services);
}, 120_000);

afterEach(async () => {
  await killAllWorkers();
  await api?.close().catch(() => undefined);
  api = undefined;
});

afterAll(() => services?.close());

let dbSeq = 0;
function sqliteTarget(): DbTarget {
  return { kind: 'sqlite', path: join(tmp, `faults-${++dbSeq}.db`) };
}

async function fetchWorkers(n: number, workers: WorkerProcess[]): Promise<void> {
  await waitFor(`${n} fetch worker(s) connected`, async () => (await api!.queues.fetch.getWorkersCount()) >= n, 30_000, workers);
}

async function stopAll(workers: WorkerProcess[]): Promise<void> {
  const stops = await Promise.all(workers.filter((worker) => worker.alive()).map(async (worker) => ({ worker, stop: await worker.stop('SIGTERM', 35_000) })));
  for (const { worker, stop } of stops) {
    expect({ worker: worker.name, code: stop.code, signal: stop.signal }, worker.output().slice(-3000)).toEqual({ worker: worker.name, code: 0, signal: null });
  }
}

describe('faults, with worker OS processes', () => {
  it('SIGKILL mid-fetch: another worker process completes the job after stall recovery; the page is stored once', async () => {
    const prefix = testPrefix();
    const db = sqliteTarget();
    api = await openApi(redis.url, prefix, db);
    const a = spawnWorker({ name: 'A', entry: 'e2e', redisUrl: redis.url, prefix, db, env: { ...FAST_LOCKS, WINNOW_FETCH_CONCURRENCY: '1' } });
    await fetchWorkers(1, [a]);

    // The server holds this response for 4 s, so the fetch is still in flight when A dies.
    const url = server.url('/slow/1?ms=4000');
    expect((await api.submit([url])).statusCode).toBe(202);
    await waitFor('worker A fetching the slow page', () => server.open.get('/slow/1') === 1, 10_000, [a]);
    const job = () => api!.queues.fetch.getJob(fetchJobId(url)) as Promise<Job<FetchJobData, FetchJobResult> | undefined>;
    expect(await (await job())!.getState()).toBe('active');

    // B is up before A dies, so recovery is B's stalled check, not a fresh start-up scan.
    const b = spawnWorker({ name: 'B', entry: 'e2e', redisUrl: redis.url, prefix, db, env: FAST_LOCKS });
    await fetchWorkers(2, [a, b]);
    expect(server.open.get('/slow/1'), 'A must still be fetching when it is killed').toBe(1);
    const killedAt = Date.now();
    await a.crash();
    expect((await a.exited).signal).toBe('SIGKILL');

    await waitFor('the killed job completed by B', async () => (await (await job())!.getState()) === 'completed', 30_000, [a, b]);
    const recoveredIn = Date.now() - killedAt;
    await waitFor('the article stored', async () => (await articleCount(db)) === 1, 20_000, [a, b]);

    const done = (await job())!;
    expect(done.stalledCounter).toBeGreaterThanOrEqual(1);
    expect(done.returnvalue.pageId).toBeTruthy();
    // Fetched by A (killed) and again by B.
    expect(server.hits.get('/slow/1')).toBe(2);
    const counts = await dbCounts(db);
    expect(counts).toMatchObject({ pages: 1, articles: 1, status: { done: 1 }, duplicateUrlKeys: 0, duplicateArticlePages: 0, failures: [] });
    expect(counts.pageIds.has(done.returnvalue.pageId)).toBe(true);
    expect(await api.queues.fetch.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed')).toEqual({
      completed: 1, failed: 0, active: 0, waiting: 0, delayed: 0,
    });
    // lock expiry (1 s) + stalled check (0.3 s) + the 4 s fetch again + moderation
    expect(recoveredIn).toBeLessThan(15_000);
    console.log(`[e2e faults] SIGKILL: job ${done.id} recovered by B in ${recoveredIn} ms (stalledCounter ${done.stalledCounter})`);
    await stopAll([b]);
  }, 60_000);

  it('Redis down ~3 s and restarted mid-run with 50 jobs queued: API 503 meanwhile; workers reconnect by themselves; all finish, 0 lost, 0 duplicates', async () => {
    const prefix = testPrefix();
    const db = sqliteTarget();
    api = await openApi(redis.url, prefix, db);
    // WINNOW_JOB_TIMEOUT_MS is shortened because of the timer leak the "frozen worker" test below
    // shows: a moderate job that loses its lock and runs again in the same process leaves a
    // job-timeout timer behind that holds the process open for WINNOW_JOB_TIMEOUT_MS after shutdown.
    const env = { ...FAST_LOCKS, WINNOW_FETCH_CONCURRENCY: '3', WINNOW_JOB_TIMEOUT_MS: '8000', E2E_HANDLE_REPORT: '1' };
    const workers = ['A', 'B'].map((name) => spawnWorker({ name, entry: 'e2e', redisUrl: redis.url, prefix, db, env }));
    await fetchWorkers(2, workers);

    const urls = pageUrls(server, 50, { from: 20_000, ms: 400 });
    const response = await api.submit(urls);
    expect(response.statusCode).toBe(202);
    await waitFor('a first few articles', async () => (await articleCount(db)) >= 3, 30_000, workers);
    const before = await articleCount(db);

    // The helper's Redis keeps nothing on disk. Production runs it with AOF (docker-compose.yml);
    // here a save point plus SHUTDOWN SAVE writes dump.rdb, which the restarted server (same
    // folder) loads: Redis goes away with the queue intact, as an AOF-backed Redis would.
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.config('SET', 'save', '3600 1');
    const downAt = Date.now();
    await admin.call('SHUTDOWN', 'SAVE').catch(() => undefined);
    admin.disconnect();
    await waitFor('the producer to notice Redis is gone', () => api!.connection.status !== 'ready', 5000, workers);
    expect(before, 'jobs must still be queued when Redis goes down').toBeLessThan(50);

    // While Redis is down the API answers 503 at once, and the workers stay up.
    const probeStarted = Date.now();
    const refused = await api.submit(pageUrls(server, 1, { from: 20_200 }));
    const refusedMs = Date.now() - probeStarted;
    expect(refused.statusCode).toBe(503);
    expect(refused.body.code).toBe('WINNOW_ERR_QUEUE_UNAVAILABLE');
    expect(refusedMs).toBeLessThan(1000);
    await sleep(Math.max(0, 3000 - (Date.now() - downAt)));
    for (const worker of workers) expect(worker.alive(), worker.output()).toBe(true);

    const restartStarted = Date.now();
    await redis.restart();
    const downMs = Date.now() - downAt;

    await waitFor('the producer connection back', () => api!.connection.status === 'ready', 20_000, workers);
    // The queued jobs came back with Redis and still run: nothing was re-submitted.
    await waitFor('all 50 articles after the restart', async () => (await articleCount(db)) >= 50, 60_000, workers);
    const recoveredIn = Date.now() - restartStarted;

    // A job added after the restart runs too: the workers' blocking connections are back.
    const late = pageUrls(server, 5, { from: 20_100 });
    expect((await api.submit(late)).statusCode).toBe(202);
    await waitFor('5 more articles submitted after the restart', async () => (await articleCount(db)) >= 55, 30_000, workers);
    await waitFor('queues drained', () => queuesDrained(api!), 30_000, workers);

    const counts = await dbCounts(db);
    expect(counts).toMatchObject({ pages: 55, articles: 55, status: { done: 55 }, duplicateUrlKeys: 0, duplicateArticlePages: 0, failures: [] });
    expect(await api.queues.fetch.getJobCounts('completed', 'failed')).toEqual({ completed: 55, failed: 0 });
    expect(await api.queues.moderate.getJobCounts('completed', 'failed')).toEqual({ completed: 55, failed: 0 });
    for (const worker of workers) expect(worker.alive(), worker.output()).toBe(true);
    const stalled = (await api.queues.fetch.getCompleted(0, 100)).filter((job) => job.stalledCounter > 0).length;
    console.log(`[e2e faults] Redis restart: ${before}/50 stored before, down ${downMs} ms, API 503 in ${refusedMs} ms, all 50 stored ${recoveredIn} ms after the restart began; ${stalled} fetch jobs stalled and recovered`);
    await stopAll(workers);
  }, 110_000);

  it('worker frozen past its lock (SIGSTOP 2.5 s) mid-moderation: the job runs again, the page is stored once, and the worker still exits 0 promptly on SIGTERM', async () => {
    const prefix = testPrefix();
    const db = sqliteTarget();
    api = await openApi(redis.url, prefix, db);
    // One process, so the job that stalls is picked up again by the same worker. Default job timeout (60 s).
    const worker = spawnWorker({ name: 'A', entry: 'e2e', redisUrl: redis.url, prefix, db, env: { ...FAST_LOCKS, WINNOW_FETCH_CONCURRENCY: '4', E2E_HANDLE_REPORT: '1' } });
    await fetchWorkers(1, [worker]);
    const urls = pageUrls(server, 40, { from: 50_000 });
    expect((await api.submit(urls)).statusCode).toBe(202);
    await waitFor('a first few articles', async () => (await articleCount(db)) >= 2, 30_000, [worker]);

    // Freeze the worker (its sandboxed child keeps going) while a moderate job is active.
    let frozenJob: string | undefined;
    for (let tries = 0; tries < 20 && !frozenJob; tries++) {
      worker.child.kill('SIGSTOP');
      const active = await api.queues.moderate.getActive();
      if (active.length > 0) frozenJob = active[0].id;
      else {
        worker.child.kill('SIGCONT');
        await sleep(50);
      }
    }
    expect(frozenJob, 'a moderate job active while the worker is frozen').toBeDefined();
    await sleep(2500);
    worker.child.kill('SIGCONT');

    await waitFor('all 40 articles', async () => (await articleCount(db)) >= 40, 40_000, [worker]);
    await waitFor('queues drained', () => queuesDrained(api!), 30_000, [worker]);
    const counts = await dbCounts(db);
    expect(counts).toMatchObject({ pages: 40, articles: 40, status: { done: 40 }, duplicateUrlKeys: 0, duplicateArticlePages: 0, failures: [] });
    const job = await api.queues.moderate.getJob(frozenJob!);
    expect(await job!.getState()).toBe('completed');
    expect(job!.stalledCounter).toBeGreaterThanOrEqual(1);

    // Nothing is active: shutdown should take well under a second, as it does without the freeze.
    const stop = await worker.stop('SIGTERM', 10_000);
    console.log(`[e2e faults] frozen worker: job ${frozenJob} stalled ${job!.stalledCounter}x and completed; SIGTERM → exit ${stop.code ?? stop.signal} after ${stop.ms} ms`);
    expect({ code: stop.code, signal: stop.signal }, worker.output().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(stop.ms).toBeLessThan(5000);
  }, 90_000);

  it('PostgreSQL down for ~5 s while jobs run: no job completes without its row, none spends an attempt on it; after recovery all stored, none failed', async () => {
    const prefix = testPrefix();
    const db: DbTarget = { kind: 'postgres', url: await postgres.createDatabase() };
    api = await openApi(redis.url, prefix, db);
    const env = { ...FAST_LOCKS, WINNOW_FETCH_CONCURRENCY: '2' };
    const workers = ['A', 'B'].map((name) => spawnWorker({ name, entry: 'e2e', redisUrl: redis.url, prefix, db, env }));
    await fetchWorkers(2, workers);

    const urls = pageUrls(server, 60, { from: 30_000, ms: 300 });
    expect((await api.submit(urls)).statusCode).toBe(202);
    await waitFor('a first few articles', async () => (await articleCount(db)) >= 3, 30_000, workers);

    await postgres.halt();
    const haltedAt = Date.now();
    const completedAtHalt = await api.queues.moderate.getCompletedCount();
    await sleep(5000);
    const completedDuringOutage = (await api.queues.moderate.getCompletedCount()) - completedAtHalt;
    const retriedDuringOutage = (await api.queues.fetch.getDelayedCount()) + (await api.queues.moderate.getDelayedCount());
    await postgres.restart();
    const downMs = Date.now() - haltedAt;
    expect(await articleCount(db), 'jobs must still be pending when the database comes back').toBeLessThan(60);

    await waitFor('all 60 articles after the database came back', async () => (await articleCount(db)) >= 60, 70_000, workers);
    await waitFor('queues drained', () => queuesDrained(api!), 30_000, workers);

    const counts = await dbCounts(db);
    expect(counts).toMatchObject({ pages: 60, articles: 60, status: { done: 60 }, duplicateUrlKeys: 0, duplicateArticlePages: 0, failures: [] });
    expect(await api.queues.fetch.getJobCounts('completed', 'failed')).toEqual({ completed: 60, failed: 0 });
    expect(await api.queues.moderate.getJobCounts('completed', 'failed')).toEqual({ completed: 60, failed: 0 });
    // Every completed job points at a row that exists: nothing completed on a failed write.
    const fetched = (await api.queues.fetch.getCompleted(0, 100)) as Job<FetchJobData, FetchJobResult>[];
    const moderated = (await api.queues.moderate.getCompleted(0, 100)) as Job<ModerateJobData, ModerateJobResult>[];
    for (const job of fetched) expect(counts.pageIds.has(job.returnvalue.pageId), `fetch job ${job.id}`).toBe(true);
    for (const job of moderated) expect(counts.articleIds.has(job.returnvalue.articleId), `moderate job ${job.id}`).toBe(true);
    const retried = [...fetched, ...moderated].filter((job) => job.attemptsMade > 1).length;
    // The outage was felt (a worker paused for it), and cost no job an attempt: jobs that met it
    // were put off, not failed (workers/outage.ts).
    expect(workers.some((worker) => /store unavailable .*pausing/.test(worker.output())), workers.map((worker) => worker.output().slice(-2000)).join('\n')).toBe(true);
    expect(retried).toBe(0);
    console.log(
      `[e2e faults] PostgreSQL down ${downMs} ms: ${completedDuringOutage} moderate jobs completed during the outage, ${retriedDuringOutage} put off at its end, ${retried} jobs needed >1 attempt`,
    );
    await stopAll(workers);
  }, 110_000);

  it('a server that never sends headers fails with `timeout` after the total deadline; a redirect loop fails with `too_many_redirects`; other jobs keep flowing', async () => {
    const prefix = testPrefix();
    const db = sqliteTarget();
    // Two attempts 200 ms apart, so the retryable timeout reaches its last attempt within the test.
    api = await openApi(redis.url, prefix, db, {
      attempts: 2,
      backoff: { type: 'fixed', delay: 200 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    });
    const worker = spawnWorker({
      name: 'A',
      entry: 'e2e',
      redisUrl: redis.url,
      prefix,
      db,
      env: { ...FAST_LOCKS, WINNOW_FETCH_CONCURRENCY: '4', E2E_FETCH_TOTAL_TIMEOUT_MS: '2000' },
    });
    await fetchWorkers(1, [worker]);

    const hang = server.url('/hang/1');
    const loop = server.url('/loop/a');
    const others = pageUrls(server, 20, { from: 40_000, ms: 100 });
    const submittedAt = Date.now();
    expect((await api.submit([hang, loop, ...others])).statusCode).toBe(202);

    const job = (url: string) => api!.queues.fetch.getJob(fetchJobId(url)) as Promise<Job<FetchJobData, FetchJobResult>>;
    await waitFor('the hanging job to fail', async () => (await (await job(hang)).getState()) === 'failed', 30_000, [worker]);
    await waitFor('20 articles', async () => (await articleCount(db)) >= 20, 30_000, [worker]);

    const hung = await job(hang);
    expect(hung.attemptsMade).toBe(2);
    expect(hung.failedReason).toMatch(/no complete response within 2000 ms/);
    expect(hung.stalledCounter).toBe(0);
    // The last attempt ran for the whole deadline, not much more.
    expect(hung.finishedOn! - hung.processedOn!).toBeGreaterThanOrEqual(1900);
    expect(hung.finishedOn! - hung.processedOn!).toBeLessThan(4000);
    expect(server.hits.get('/hang/1')).toBe(2);

    const looped = await job(loop);
    expect(await looped.getState()).toBe('failed');
    expect(looped.attemptsMade).toBe(1);
    expect(looped.failedReason).toMatch(/^too_many_redirects/);

    // The other 20 flowed past the hanging fetch: all done before it gave up.
    const rest = await Promise.all(others.map(job));
    for (const other of rest) {
      expect(await other.getState()).toBe('completed');
      expect(other.finishedOn!).toBeLessThan(hung.finishedOn!);
      expect(other.stalledCounter).toBe(0);
    }

    const counts = await dbCounts(db);
    expect(counts.failures).toEqual([
      [hang, 'timeout'],
      [loop, 'too_many_redirects'],
    ].sort());
    expect(counts).toMatchObject({ pages: 22, articles: 20, status: { done: 20, failed: 2 }, duplicateUrlKeys: 0 });
    console.log(`[e2e faults] hang: failed after ${hung.finishedOn! - submittedAt} ms (2 attempts of 2000 ms); others done by ${Math.max(...rest.map((r) => r.finishedOn!)) - submittedAt} ms`);
    await stopAll([worker]);
  }, 60_000);
});
