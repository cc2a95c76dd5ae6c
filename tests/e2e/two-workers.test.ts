/**
 * End to end with real processes: 200 distinct URLs submitted through the HTTP API, fetched
 * from a local page server and moderated by TWO `winnow worker` OS processes that share one
 * store: a SQLite file (WAL) and, separately, a PostgreSQL database. Every page must be stored
 * exactly once, and both workers must stop cleanly (exit 0) on SIGTERM.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchJobId } from '../../workers/queues.js';
import type { TestPostgres } from '../helpers/postgres.js';
import type { TestRedis } from '../helpers/redis.js';
import {
  articleCount,
  dbCounts,
  killAllWorkers,
  openApi,
  pageUrls,
  spawnWorker,
  startE2eServices,
  testPrefix,
  until,
  waitFor,
  type Api,
  type DbTarget,
  type E2eServices,
  type PageServer,
  type WorkerProcess,
} from './support.js';

const PAGES = 200;
const BATCH = 50;

let services: E2eServices | undefined;
let redis: TestRedis;
let postgres: TestPostgres;
let server: PageServer;
let tmp: string;
let api: Api | undefined;

beforeAll(async () => {
  services = await startE2eServices('winnow-e2e-two-');
  ({ redis, postgres, server, tmp } = services);
}, 120_000);

afterEach(async () => {
  await killAllWorkers();
  await api?.close();
  api = undefined;
});

afterAll(() => services?.close());

async function targetFor(kind: 'sqlite' | 'postgres'): Promise<DbTarget> {
  return kind === 'sqlite' ? { kind, path: join(tmp, `${kind}-${Date.now()}.db`) } : { kind, url: await postgres.createDatabase() };
}

describe.each(['sqlite', 'postgres'] as const)('two worker processes on %s', (kind) => {
  it(`store each of ${PAGES} API-submitted URLs exactly once, then exit 0 on SIGTERM`, async () => {
    const started = Date.now();
    const prefix = testPrefix();
    const db = await targetFor(kind);
    api = await openApi(redis.url, prefix, db);
    const workers: WorkerProcess[] = ['A', 'B'].map((name) =>
      spawnWorker({ name, entry: 'cli', redisUrl: redis.url, prefix, db }),
    );
    // Both processes are connected (one bullmq worker per stage each) before the first job lands.
    await until('both worker processes connected', async () => (await api!.queues.fetch.getWorkersCount()) >= 2 && (await api!.queues.moderate.getWorkersCount()) >= 2, 30_000);

    const from = kind === 'sqlite' ? 0 : 10_000;
    const urls = pageUrls(server, PAGES, { from });
    for (let i = 0; i < urls.length; i += BATCH) {
      const { statusCode, body } = await api.submit(urls.slice(i, i + BATCH));
      expect(statusCode).toBe(202);
      expect(body.pages!.map((page) => page.status)).toEqual(Array(Math.min(BATCH, urls.length - i)).fill('queued'));
    }

    await waitFor(`${PAGES} articles stored`, async () => (await articleCount(db)) >= PAGES, 90_000, workers);
    await until('queues drained', async () => {
      const counts = await api!.queues.moderate.getJobCounts('active', 'waiting', 'delayed');
      return counts.active + counts.waiting + counts.delayed === 0;
    });

    const counts = await dbCounts(db);
    expect(counts.pages).toBe(PAGES);
    expect(counts.articles).toBe(PAGES);
    expect(counts.status).toEqual({ done: PAGES });
    expect(counts.duplicateUrlKeys).toBe(0);
    expect(counts.duplicateArticlePages).toBe(0);
    expect(counts.failures).toEqual([]);
    expect(counts.blocks).toBeGreaterThan(PAGES);
    if (db.kind === 'sqlite') {
      // The file every process shared is in WAL mode (readers never block the writer).
      const conn = new Database(db.path, { readonly: true });
      expect(conn.pragma('journal_mode', { simple: true })).toBe('wal');
      conn.close();
    }

    expect(await api.queues.fetch.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed')).toEqual({
      completed: PAGES, failed: 0, active: 0, waiting: 0, delayed: 0,
    });
    expect(await api.queues.moderate.getJobCounts('completed', 'failed')).toEqual({ completed: PAGES, failed: 0 });
    // Nothing was delivered twice: each URL was fetched once and each fetch job ran once.
    for (const url of urls) expect(server.hits.get(new URL(url).pathname), url).toBe(1);
    const sample = await api.queues.fetch.getJob(fetchJobId(urls[PAGES - 1]));
    // bullmq counts the successful attempt too: one attempt, never stalled.
    expect(sample!.attemptsMade).toBe(1);
    expect(sample!.stalledCounter).toBe(0);
    const article = await api.store.getArticle(urls[0]);
    expect(article?.url).toBe(urls[0]);

    const stops = await Promise.all(workers.map((worker) => worker.stop('SIGTERM', 35_000)));
    for (const [i, stop] of stops.entries()) {
      expect({ worker: workers[i].name, code: stop.code, signal: stop.signal }, workers[i].output().slice(-3000)).toEqual({ worker: workers[i].name, code: 0, signal: null });
      expect(stop.ms).toBeLessThan(30_000);
      expect(workers[i].output()).toContain('worker stopped');
    }
    console.log(`[e2e two-workers ${kind}] ${PAGES} pages in ${Date.now() - started} ms; stops ${stops.map((s) => s.ms).join('/')} ms`);
  }, 110_000);
});
