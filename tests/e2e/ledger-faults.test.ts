/**
 * Outages are waits, and children die with their parent (workers/outage.ts,
 * workers/moderate.sandbox.ts), with real services: a throwaway Redis and PostgreSQL, the page
 * server, in-process workers where the scenario needs only the worker code, and a worker OS
 * process where it needs a process to kill. Each scenario ends with 0 stuck, 0 lost, 0 duplicated.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type WorkersHandle } from '../../workers/main.js';
import { requeuePendingCommand } from '../../workers/commands.js';
import { fetchJobId, moderateJobId } from '../../workers/queues.js';
import {
  articleCount,
  auditLedger,
  childPids,
  killAllWorkers,
  openApi,
  pageUrls,
  processAlive,
  queuesDrained,
  sleep,
  spawnWorker,
  startE2eServices,
  testPrefix,
  waitFor,
  type Api,
  type DbTarget,
  type E2eServices,
  type WorkerProcess,
} from './support.js';

/** Short locks, as bullmq's own stall tests use: a lost worker is noticed in about a second. */
const FAST_LOCKS = { E2E_LOCK_DURATION_MS: '1000', E2E_STALLED_INTERVAL_MS: '300' };

/** Three attempts 200 ms apart: a worker that spent attempts on an outage would fail jobs within seconds. */
const FEW_FAST_ATTEMPTS = { attempts: 3, backoff: { type: 'fixed', delay: 200 }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } };

let services: E2eServices | undefined;
let api: Api | undefined;
let handle: WorkersHandle | undefined;

beforeAll(async () => {
  services = await startE2eServices('winnow-e2e-ledger-');
}, 120_000);

afterEach(async () => {
  await handle?.close().catch(() => undefined);
  handle = undefined;
  await killAllWorkers();
  await api?.close().catch(() => undefined);
  api = undefined;
});

afterAll(() => services?.close());

describe('outages and crashes leave nothing stuck', () => {
  it('PostgreSQL down ~6 s during moderation: no attempt is spent on it, the worker pauses and resumes, every page is done', async () => {
    const { redis, postgres, server } = services!;
    const prefix = testPrefix();
    const db: DbTarget = { kind: 'postgres', url: await postgres.createDatabase() };
    api = await openApi(redis.url, prefix, db, FEW_FAST_ATTEMPTS);
    const logs: string[] = [];
    handle = await startWorkers({
      redisUrl: redis.url,
      queuePrefix: prefix,
      databaseUrl: db.url,
      jobOptions: FEW_FAST_ATTEMPTS,
      fetchOptions: { allowPrivate: ['127.0.0.1'] },
      hostDelayMs: 0,
      hostConcurrency: 64,
      fetchConcurrency: 4,
      moderateConcurrency: 2,
      outageProbeMs: 500,
      reconcileIntervalMs: 0,
      log: (line) => logs.push(line),
    });

    const urls = pageUrls(server, 30, { from: 60_000, ms: 100 });
    expect((await api.submit(urls)).statusCode).toBe(202);
    await waitFor('a first few articles', async () => (await articleCount(db)) >= 3, 30_000, []);

    const doneAtHalt = await articleCount(db);
    await postgres.halt();
    await sleep(6000);
    await postgres.restart();
    expect(doneAtHalt, 'pages must still be waiting when the database goes away').toBeLessThan(30);

    await waitFor('all 30 articles after the database came back', async () => (await articleCount(db)) >= 30, 60_000, []);
    await waitFor('queues drained', () => queuesDrained(api!), 30_000, []);

    expect(await api.queues.fetch.getFailedCount()).toBe(0);
    expect(await api.queues.moderate.getFailedCount()).toBe(0);
    // Completed on their first counted attempt: the outage cost no job an attempt.
    const completed = [...(await api.queues.fetch.getCompleted(0, 100)), ...(await api.queues.moderate.getCompleted(0, 100))] as Job[];
    expect(completed).toHaveLength(60);
    expect(Math.max(...completed.map((job) => job.attemptsMade))).toBe(1);
    expect(logs.join('\n')).toMatch(/store unavailable .*pausing/);
    expect(logs.join('\n')).toMatch(/store answers again; resuming/);
    expect(await auditLedger(db, urls)).toEqual({ stuck: 0, lost: 0, duplicated: 0, done: 30, failed: 0 });
    console.log(`[e2e ledger] PostgreSQL down 6 s: ${doneAtHalt}/30 done when it went away; ${logs.filter((line) => line.includes('pausing')).length} pause(s); 0 attempts spent`);
  }, 120_000);

  it('on PostgreSQL too, requeue-pending queues again a fetched page whose job is gone, and records it `requeue_limit` past the limit', async () => {
    const { redis, postgres } = services!;
    const prefix = testPrefix();
    const db: DbTarget = { kind: 'postgres', url: await postgres.createDatabase() };
    api = await openApi(redis.url, prefix, db);
    const { page } = await api.store.putPage({ url: 'https://news.example/pg-vanishing', source: 'url', raw: new TextEncoder().encode('<p>x</p>') });
    const pass = async (): Promise<string> => {
      const out = new PassThrough();
      await requeuePendingCommand({ olderThan: '0s', config: { redisUrl: redis.url, queuePrefix: prefix, maxRequeues: 1 }, store: api!.store, stdout: out });
      return String(out.read() ?? '');
    };
    expect(await pass()).toContain('1 fetched, 1 requeued');
    expect(await api.queues.moderate.getJobState(moderateJobId(page.id))).toBe('waiting');
    // Still live: left alone.
    expect(await pass()).toContain('1 fetched, 0 requeued; 0 recorded failed; still queued: 1 waiting');
    await api.queues.moderate.remove(moderateJobId(page.id));
    expect(await pass()).toContain('1 recorded failed');
    expect(await api.store.getPage(page.id)).toMatchObject({ status: 'failed', errorCode: 'requeue_limit' });
    expect(await auditLedger(db, ['https://news.example/pg-vanishing'])).toEqual({ stuck: 0, lost: 0, duplicated: 0, done: 0, failed: 1 });
  });

  it('SIGKILL of a worker process: its sandboxed moderation children exit too (checked by pid), and a second worker finishes every page', async () => {
    const { redis, server, tmp } = services!;
    const prefix = testPrefix();
    const db: DbTarget = { kind: 'sqlite', path: join(tmp, 'sigkill-children.db') };
    api = await openApi(redis.url, prefix, db);
    const env = { ...FAST_LOCKS, WINNOW_MODERATE_CONCURRENCY: '2', WINNOW_FETCH_CONCURRENCY: '4' };
    const a = spawnWorker({ name: 'A', entry: 'e2e', redisUrl: redis.url, prefix, db, env });
    // A page that takes seconds to moderate, so a child is mid-job when its parent dies: the case
    // in which BullMQ's child wrapper, unable to report the result, loops on its own error.
    const big = server.url('/big/1');
    const urls = [big, ...pageUrls(server, 20, { from: 70_000 })];
    expect((await api.submit(urls)).statusCode).toBe(202);

    const bigJob = async (): Promise<Job | undefined> => {
      const fetched = await api!.queues.fetch.getJob(fetchJobId(big));
      return fetched?.returnvalue ? api!.queues.moderate.getJob(fetched.returnvalue.moderateJobId) : undefined;
    };
    await waitFor('the long page being moderated', async () => (await (await bigJob())?.getState()) === 'active', 60_000, [a]);
    await waitFor('worker A to run two moderation children', () => childPids(a.pid).length === 2, 30_000, [a]);
    const children = childPids(a.pid);
    // Only the worker itself: its children are left to notice on their own.
    process.kill(a.pid, 'SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    await waitFor(`children ${children.join(', ')} to exit`, () => children.every((pid) => !processAlive(pid)), 20_000, [a]);
    const goneIn = Date.now() - killedAt;

    const workers: WorkerProcess[] = [spawnWorker({ name: 'B', entry: 'e2e', redisUrl: redis.url, prefix, db, env })];
    await waitFor('all 21 articles', async () => (await articleCount(db)) >= 21, 90_000, workers);
    await waitFor('queues drained', () => queuesDrained(api!), 30_000, workers);
    expect(await auditLedger(db, urls)).toEqual({ stuck: 0, lost: 0, duplicated: 0, done: 21, failed: 0 });
    console.log(`[e2e ledger] SIGKILL: children ${children.join(', ')} gone ${goneIn} ms after their parent`);
    const stop = await workers[0].stop('SIGTERM', 30_000);
    expect({ code: stop.code, signal: stop.signal }).toEqual({ code: 0, signal: null });
  }, 150_000);
});
