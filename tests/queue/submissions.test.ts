import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { parseDuration, requeuePendingCommand } from '../../workers/commands.js';
import { startWorkers, type WorkersHandle } from '../../workers/main.js';
import { fetchJobId } from '../../workers/queues.js';
import { requeuePending, submissionLedgerOf, submitFetch, type SubmissionLedger } from '../../workers/submissions.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { openProducer, testPrefix, until, type Producer } from './harness.js';
import { startSite, type Site } from './site-server.js';

describe('parseDuration', () => {
  it.each([
    ['10m', 600_000],
    ['90s', 90_000],
    ['90', 90_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    [' 0m ', 0],
  ])('%s → %i ms', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });

  it.each(['', 'm', '10 minutes', '-5m', '1.5h', '10y'])('refuses %j', (value) => {
    expect(() => parseDuration(value)).toThrow(/^not a duration: /);
  });
});

/** The ledger needs three Store methods (workers/submissions.ts); these tests run once SQLite has them. */
const probe = SqliteStore.open(':memory:');
const ledgerInStore = submissionLedgerOf(probe) !== undefined;
await probe.close();

describe.skipIf(!ledgerInStore)('submission ledger (pending pages) and requeue-pending', () => {
  let redis: TestRedis;
  let tmp: string;
  let producer: Producer | undefined;
  let store: (SqliteStore & SubmissionLedger) | undefined;
  let workers: WorkersHandle | undefined;
  let site: Site | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    tmp = mkdtempSync(join(tmpdir(), 'winnow-ledger-'));
  }, 60_000);

  afterEach(async () => {
    await workers?.close();
    await site?.close();
    await producer?.close();
    await store?.close();
    workers = undefined;
    site = undefined;
    producer = undefined;
    store = undefined;
  });

  afterAll(async () => {
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function setUp(): Promise<{ producer: Producer; store: SqliteStore & SubmissionLedger; databasePath: string }> {
    const prefix = testPrefix();
    const databasePath = join(tmp, `${prefix.slice(1, -1)}.db`);
    producer = await openProducer(redis.url, prefix);
    store = submissionLedgerOf(SqliteStore.open(databasePath)) as SqliteStore & SubmissionLedger;
    return { producer, store, databasePath };
  }

  const future = (): string => new Date(Date.now() + 60_000).toISOString();

  it('records a submission as a pending page before its job is queued', async () => {
    const { producer, store } = await setUp();
    const url = 'https://news.example/a?utm_source=feed';
    const enqueued = await submitFetch(producer.fetch, store, { url, source: 'api' });

    expect(enqueued).toEqual({ jobId: fetchJobId(url), created: true });
    const pending = await store.listPendingSubmissions({ olderThan: future() });
    expect(pending.map((page) => [page.url, page.status, page.source])).toEqual([[url, 'pending', 'api']]);
    // Submitting the same page again keeps one ledger row.
    await submitFetch(producer.fetch, store, { url: 'https://news.example/a', source: 'api' });
    expect(await store.listPendingSubmissions({ olderThan: future() })).toHaveLength(1);
  });

  it('queues again, after Redis lost its data, the submissions whose job is gone, and only those', async () => {
    const { producer, store } = await setUp();
    const urls = ['https://news.example/1', 'https://news.example/2'];
    for (const url of urls) await submitFetch(producer.fetch, store, { url, source: 'url' });
    await redis.restart();
    await until('the producer to reconnect', () => producer.connection.status === 'ready');
    expect(await producer.fetch.getJobState(fetchJobId(urls[0]))).toBe('unknown');

    const young = await requeuePending({ ledger: store, queue: producer.fetch, olderThanMs: 60_000 });
    expect(young).toEqual({ pending: 0, requeued: [], queued: {} });

    const out = new PassThrough();
    const summary = await requeuePendingCommand({ olderThan: '0s', config: { redisUrl: redis.url, queuePrefix: producer.prefix }, store, stdout: out });
    expect(summary.requeued.sort()).toEqual(urls);
    for (const url of urls) expect(await producer.fetch.getJobState(fetchJobId(url))).toBe('waiting');
    expect(String(out.read())).toContain('2 pending, 2 requeued');

    // A second pass finds the jobs in Redis and adds nothing.
    expect(await requeuePending({ ledger: store, queue: producer.fetch, olderThanMs: 0 })).toEqual({ pending: 2, requeued: [], queued: { waiting: 2 } });
  });

  it('settles a submission when its page is stored, and keeps a failed one as the failure record', async () => {
    site = await startSite({ '/missing': (response) => response.writeHead(404).end() });
    const { producer, store, databasePath } = await setUp();
    workers = await startWorkers({
      redisUrl: redis.url,
      queuePrefix: producer.prefix,
      databasePath,
      databaseUrl: '',
      stages: ['fetch'],
      fetchOptions: { allowPrivate: ['127.0.0.1'] },
      hostDelayMs: 0,
      log: () => undefined,
    });
    const ok = site.url('/page');
    const missing = site.url('/missing');
    await submitFetch(producer.fetch, store, { url: ok, source: 'url' });
    await submitFetch(producer.fetch, store, { url: missing, source: 'url' });

    await until('both fetch jobs to finish', async () => (await producer.fetch.getCompletedCount()) === 1 && (await producer.fetch.getFailedCount()) === 1);

    expect(await store.listPendingSubmissions({ olderThan: future() })).toEqual([]);
    const [failure] = await store.listFailures();
    expect(failure).toMatchObject({ url: missing, status: 'failed', errorCode: 'http_error' });
    const { pageId } = (await producer.fetch.getJob(fetchJobId(ok)))!.returnvalue;
    expect(await store.getPage(pageId)).toMatchObject({ url: ok, status: 'fetched' });
  });
});

describe.runIf(!ledgerInStore)('requeue-pending without a ledger in the store', () => {
  it('says clearly that the store keeps no submission ledger', async () => {
    const store = SqliteStore.open(':memory:');
    try {
      await expect(requeuePendingCommand({ olderThan: '10m', config: { redisUrl: 'redis://127.0.0.1:1', queuePrefix: '{x}' }, store })).rejects.toThrow(
        /keeps no submission ledger/,
      );
    } finally {
      await store.close();
    }
  });
});
