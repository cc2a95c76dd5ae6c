import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { failedCommand, failedJobs } from '../../workers/failed-jobs.js';
import { createProducerConnection, createQueues, createWorkerConnection, enqueueFetch, FETCH_QUEUE } from '../../workers/queues.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

describe('failed jobs', () => {
  let redis: TestRedis;
  let dir: string;
  const prefix = '{winnow-failed-test}';

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'winnow-failed-'));
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists failed jobs with their reason and retries them back to waiting', async () => {
    const producer = createProducerConnection(redis.url);
    const queues = createQueues(producer, { prefix });
    const enqueued = await enqueueFetch(queues.fetch, 'https://example.test/broken');
    const worker = new Worker(
      FETCH_QUEUE,
      async () => {
        throw new UnrecoverableError('not_html: page is not HTML');
      },
      { connection: createWorkerConnection(redis.url), prefix },
    );
    await new Promise<void>((resolve) => worker.once('failed', () => resolve()));
    await worker.close();

    const listed = await failedJobs({ config: { redisUrl: redis.url, queuePrefix: prefix } });
    expect(listed.jobs).toHaveLength(1);
    expect(listed.jobs[0]).toMatchObject({ stage: 'fetch', id: enqueued.jobId, input: 'https://example.test/broken', attempts: 1 });
    expect(listed.jobs[0].reason).toContain('not_html');

    const store = SqliteStore.open(join(dir, 'w.db'));
    const out = new PassThrough();
    let printed = '';
    out.on('data', (chunk) => (printed += String(chunk)));
    await failedCommand({ config: { redisUrl: redis.url, queuePrefix: prefix }, store, retry: true, stdout: out });
    await store.close();
    expect(printed).toContain('failed jobs in the queue: 1');
    expect(printed).toContain('retried 1 job(s)');
    expect(await (await queues.fetch.getJob(enqueued.jobId))!.getState()).toBe('waiting');
    expect((await failedJobs({ config: { redisUrl: redis.url, queuePrefix: prefix } })).jobs).toHaveLength(0);
    await Promise.all([queues.fetch.close(), queues.moderate.close()]);
    producer.disconnect();
  });
});
