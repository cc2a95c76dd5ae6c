import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/storage/sqlite.js';
import type { StartWorkersOptions, WorkersHandle } from '../../workers/main.js';
import { enqueueFetch, fetchJobId } from '../../workers/queues.js';
import { buildDist, startFixtureServer, startQueueEnv, until, type FixtureServer, type Producer, type QueueEnv } from './harness.js';

/** Short locks, as bullmq's own stalled-job tests use, so a lost worker is noticed in about a second. */
const FAST_STALLS = { lockDuration: 1000, stalledInterval: 100 };

let env: QueueEnv;
let server: FixtureServer;

beforeAll(async () => {
  buildDist();
  env = await startQueueEnv('winnow-shutdown-');
  server = await startFixtureServer();
}, 120_000);

afterEach(() => env?.closeRigs());

afterAll(async () => {
  await server?.close();
  await env?.close();
});

/** A producer and a results store on a fresh prefix; `start` starts a fetch-stage worker "process" there. */
async function setUp(): Promise<{ producer: Producer; store: SqliteStore; start: (options?: Partial<StartWorkersOptions>) => Promise<WorkersHandle> }> {
  const rig = await env.openRig({
    workers: {
      stages: ['fetch'],
      fetchConcurrency: 1,
      // Every fixture page is on one local host: no per-host pacing here (tests/queue/politeness.test.ts covers it).
      hostConcurrency: 64,
    },
  });
  return { producer: rig.producer, store: rig.store, start: (options) => rig.startWorkers(options) };
}

describe('worker shutdown and crashes', () => {
  it('finishes the active job on close and starts no new one', async () => {
    const { producer, store, start } = await setUp();
    const slow = server.url('/pages/news-wire-1?delay=1000');
    const next = server.url('/pages/news-wire-2?delay=1000');
    await enqueueFetch(producer.fetch, slow);
    await enqueueFetch(producer.fetch, next);
    const handle = await start();
    let stalled = 0;
    handle.workers[0].on('stalled', () => stalled++);

    await until('the first job to be active', async () => (await producer.fetch.getJobState(fetchJobId(slow))) === 'active');
    await handle.close();

    expect(await producer.fetch.getJobState(fetchJobId(slow))).toBe('completed');
    expect(await producer.fetch.getJobState(fetchJobId(next))).toBe('waiting');
    expect((await producer.fetch.getJob(fetchJobId(next)))!.attemptsStarted).toBe(0);
    expect(server.hits.get('/pages/news-wire-2?delay=1000')).toBeUndefined();
    expect(stalled).toBe(0);
    // The page is stored and its moderate job queued before the fetch job completed.
    expect(await producer.moderate.count()).toBe(1);
    expect((await store.listFailures()).length).toBe(0);
    // Closing again is a no-op.
    await handle.close();
  });

  it('stops waiting after the shutdown timeout and aborts the active job', async () => {
    const { producer, start } = await setUp();
    const endless = server.url('/pages/news-wire-1?delay=20000');
    await enqueueFetch(producer.fetch, endless);
    const handle = await start({ shutdownTimeoutMs: 300 });
    await until('the job to be active', async () => (await producer.fetch.getJobState(fetchJobId(endless))) === 'active');

    const started = Date.now();
    await handle.close();

    expect(Date.now() - started).toBeLessThan(5000);
    expect(await producer.fetch.getJobState(fetchJobId(endless))).not.toBe('completed');
  });

  it('lets a second worker complete the job of a worker that died mid-job', async () => {
    const { producer, store, start } = await setUp();
    const slow = server.url('/pages/news-wire-1?delay=1500');
    await enqueueFetch(producer.fetch, slow);
    const crashed = await start({ workerOptions: FAST_STALLS });
    await until('the job to be active', async () => (await producer.fetch.getJobState(fetchJobId(slow))) === 'active');

    // As in bullmq's stalled-job tests: a forced close stands in for a killed process.
    await crashed.workers[0].close(true);
    const rescuer = await start({ workerOptions: FAST_STALLS });
    const stalledIds: string[] = [];
    rescuer.workers[0].on('stalled', (jobId) => stalledIds.push(jobId));

    await until('the job to complete', async () => (await producer.fetch.getJobState(fetchJobId(slow))) === 'completed', 15_000);

    const job = await producer.fetch.getJob(fetchJobId(slow));
    expect(stalledIds).toEqual([fetchJobId(slow)]);
    expect(job!.stalledCounter).toBe(1);
    expect(job!.returnvalue.pageId).toBeTruthy();
    expect(await store.getPage(job!.returnvalue.pageId)).toMatchObject({ status: 'fetched', url: slow });
    // The dead worker's late run and the rescue stored the same bytes: one page, one moderate job.
    expect(await producer.moderate.count()).toBe(1);
  });
});
