/**
 * The stage ledger (workers/reconciler.ts): every page reaches done or a recorded failure, whatever
 * Redis remembers. Real Redis (restarted empty where the scenario says so), in-process workers with
 * sandboxed moderation, a SQLite file per test. Each scenario ends with 0 stuck, 0 lost,
 * 0 duplicated, read straight from the database.
 */
import { PassThrough } from 'node:stream';
import { Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requeuePendingCommand } from '../../workers/commands.js';
import { createWorkerConnection, enqueueModerate, MODERATE_QUEUE, moderateJobId } from '../../workers/queues.js';
import { submitFetch } from '../../workers/submissions.js';
import { auditLedger, dbCounts } from '../e2e/support.js';
import { buildDist, fixtureSlugs, startFixtureServer, startQueueEnv, until, type FixtureServer, type QueueEnv, type QueueRig } from './harness.js';

/** Short locks, as bullmq's own stall tests use. */
const FAST_LOCKS = { lockDuration: 1000, stalledInterval: 200, maxStalledCount: 1 };

let env: QueueEnv;
let server: FixtureServer;

beforeAll(async () => {
  buildDist();
  env = await startQueueEnv('winnow-ledger-');
  server = await startFixtureServer();
}, 120_000);

afterEach(() => env?.closeRigs());

afterAll(async () => {
  await server?.close();
  await env?.close();
});

/** `count` distinct URLs of fixture pages on the local server. */
function pageUrls(count: number, from = 0): string[] {
  const slugs = fixtureSlugs();
  return Array.from({ length: count }, (_, i) => server.url(`/pages/${slugs[(from + i) % slugs.length]}?n=${from + i}`));
}

async function statusCount(rig: QueueRig, status: string): Promise<number> {
  return (await dbCounts({ kind: 'sqlite', path: rig.databasePath })).status[status] ?? 0;
}

async function requeue(rig: QueueRig, olderThan = '0s'): Promise<string> {
  const out = new PassThrough();
  await requeuePendingCommand({ olderThan, config: { redisUrl: env.redis.url, queuePrefix: rig.prefix }, store: rig.store, stdout: out });
  return String(out.read() ?? '');
}

describe('stage ledger: nothing lost, nothing stuck', () => {
  it('Redis restarts without persistence while 20 pages wait for moderation: requeue-pending queues their moderate jobs again and every page is done', async () => {
    const rig = await env.openRig({ workers: { hostConcurrency: 64, moderateConcurrency: 2, reconcileIntervalMs: 0 } });
    const urls = pageUrls(20);
    await rig.startWorkers({ stages: ['fetch'] });
    for (const url of urls) await submitFetch(rig.producer.fetch, rig.store, { url, source: 'url' });
    // The moderate job is added just after the page is stored: wait for both.
    await until(
      '20 pages fetched, their moderate jobs waiting',
      async () => (await statusCount(rig, 'fetched')) === 20 && (await rig.producer.moderate.getWaitingCount()) === 20,
      30_000,
    );

    // Every job is gone, the 20 fetched pages are the only record that moderation is owed.
    await env.redis.restart();
    await until('the producer to reconnect', () => rig.producer.connection.status === 'ready');
    expect(await rig.producer.moderate.getJobState(moderateJobId('x'))).toBe('unknown');

    const out = await requeue(rig);
    expect(out).toContain('20 fetched, 20 requeued');
    expect(out.match(/^requeued\tmoderate\t/gm)).toHaveLength(20);
    // A second pass finds the jobs live and adds nothing.
    expect(await requeue(rig)).toContain('20 fetched, 0 requeued');

    await rig.startWorkers({ stages: ['moderate'] });
    await until('20 pages done', async () => (await statusCount(rig, 'done')) === 20, 45_000);
    expect(await auditLedger({ kind: 'sqlite', path: rig.databasePath }, urls)).toEqual({ stuck: 0, lost: 0, duplicated: 0, done: 20, failed: 0 });
    expect(await rig.producer.moderate.getFailedCount()).toBe(0);
  }, 120_000);

  it('a moderate job that stalls twice (its workers killed) ends as a page recorded failed `stalled`, never stuck as fetched', async () => {
    const rig = await env.openRig({ workers: { reconcileIntervalMs: 0 } });
    const pages = await Promise.all(
      ['https://news.example/stall-1', 'https://news.example/stall-2'].map(async (url) =>
        (await rig.store.putPage({ url, source: 'url', raw: new TextEncoder().encode(`<html><body><p>${url}</p></body></html>`) })).page,
      ),
    );
    for (const page of pages) await enqueueModerate(rig.producer.moderate, page.id);

    // Workers that take the jobs and never finish them, then die (close(true): no lock renewal,
    // nothing moved). The third one's stall check fails both jobs, and records nothing: a
    // worker that is not ours, or one that dies too, as in the probe that found the bug.
    const connections = Array.from({ length: 3 }, () => createWorkerConnection(env.redis.url));
    const hanging = (): Worker =>
      new Worker(MODERATE_QUEUE, () => new Promise(() => undefined), { connection: connections[0].duplicate(), prefix: rig.prefix, concurrency: 2, ...FAST_LOCKS });
    try {
      for (let round = 0; round < 2; round++) {
        const worker = hanging();
        // Active again after `round` stalls: taken by this worker, not left over from the last one.
        const takenAfterStalls = async (): Promise<boolean> => {
          const jobs = await rig.producer.moderate.getActive();
          return jobs.length === 2 && jobs.every((job) => job.stalledCounter === round);
        };
        await until(`round ${round + 1}: both jobs active after ${round} stall(s)`, takenAfterStalls, 15_000);
        await worker.close(true);
      }
      const third = hanging();
      await until('both jobs failed as stalled', async () => (await rig.producer.moderate.getFailedCount()) === 2, 15_000);
      await third.close(true);
    } finally {
      for (const connection of connections) connection.disconnect();
    }
    const [failedJob] = await rig.producer.moderate.getFailed();
    expect(failedJob.failedReason).toMatch(/stalled more than allowable limit/);
    expect(await statusCount(rig, 'fetched')).toBe(2);

    const out = await requeue(rig);
    expect(out).toContain('2 recorded failed');
    for (const page of pages) {
      expect(await rig.store.getPage(page.id)).toMatchObject({ status: 'failed', errorCode: 'stalled', errorMessage: expect.stringMatching(/stalled more than allowable limit/) });
    }
    expect(await auditLedger({ kind: 'sqlite', path: rig.databasePath }, pages.map((page) => page.url!))).toEqual({
      stuck: 0, lost: 0, duplicated: 0, done: 0, failed: 2,
    });
  }, 60_000);

  it('a page whose job keeps vanishing is queued again up to the limit, then recorded failed `requeue_limit`', async () => {
    const rig = await env.openRig();
    const { page } = await rig.store.putPage({ url: 'https://news.example/vanishing', source: 'url', raw: new TextEncoder().encode('<p>x</p>') });
    const config = { redisUrl: env.redis.url, queuePrefix: rig.prefix, maxRequeues: 2 };
    const pass = async (): Promise<string> => {
      const out = new PassThrough();
      await requeuePendingCommand({ olderThan: '0s', config, store: rig.store, stdout: out });
      return String(out.read() ?? '');
    };
    for (let n = 1; n <= 2; n++) {
      expect(await pass()).toContain('1 fetched, 1 requeued');
      expect(await rig.producer.moderate.getJobState(moderateJobId(page.id))).toBe('waiting');
      await rig.producer.moderate.remove(moderateJobId(page.id));
    }
    expect(await pass()).toContain('1 recorded failed');
    expect(await rig.store.getPage(page.id)).toMatchObject({
      status: 'failed',
      errorCode: 'requeue_limit',
      errorMessage: 'still fetched after 2 re-queues; its job is missing in Redis',
    });
  });

  it('the worker reconciles by itself: a fetched page whose job is gone is done after one pass, with no command run', async () => {
    const rig = await env.openRig({ workers: { moderateConcurrency: 1, reconcileIntervalMs: 200, reconcileAfterMs: 0 } });
    const [url] = pageUrls(1, 100);
    const html = await (await fetch(url)).arrayBuffer();
    const { page } = await rig.store.putPage({ url, source: 'url', raw: new Uint8Array(html) });
    // No job was ever added for it (as if Redis lost it).
    await rig.startWorkers({ stages: ['moderate'] });
    await until('the page done', async () => (await rig.store.getPage(page.id))?.status === 'done', 30_000);
    expect(await auditLedger({ kind: 'sqlite', path: rig.databasePath }, [url])).toEqual({ stuck: 0, lost: 0, duplicated: 0, done: 1, failed: 0 });
  }, 60_000);
});
