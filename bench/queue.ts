/**
 * Pages per second through the real queue: the same pages stored once, then moderated by one
 * worker process with 1 and with 2 sandboxed moderation children, each run on a fresh queue.
 * Starts its own throwaway redis-server (REDIS_URL to use another) and SQLite file.
 *
 *   node dist/bench/queue.js [--pages N] [--threads 1,2]
 *
 * bench/speed calls {@link queueThroughput} for its queue section.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueueEvents } from 'bullmq';
import { corpusDir, loadCorpus } from '../src/eval/corpus.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { loadFixtures } from '../src/train/fixtures.js';
import { startWorkers } from '../workers/main.js';
import { createProducerConnection, createQueues, createWorkerConnection, enqueueModerate, MODERATE_QUEUE, waitForReady } from '../workers/queues.js';

interface Page {
  url: string;
  html: string;
}

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

export type QueuePageSource = 'corpus' | 'fixtures';

export interface QueueOptions {
  pages: number;
  threads: readonly number[];
  /** Default: the corpus when present, else the fixtures. */
  source?: QueuePageSource;
  /** Where the header and each row go as they are measured (default console.log). */
  log?: (line: string) => void;
}

export interface QueueRow {
  threads: number;
  pages: number;
  failed: number;
  seconds: number;
  pagesPerSecond: number;
  /** Pages per second over the first row's. */
  speedUp: number;
}

export interface QueueReport {
  source: QueuePageSource;
  pages: number;
  rows: QueueRow[];
}

function benchPages(limit: number, source: QueuePageSource): Page[] {
  const corpus = source === 'corpus' ? corpusDir() : null;
  if (source === 'corpus' && corpus === null) throw new Error('corpus not found');
  const pages = corpus
    ? loadCorpus(corpus).map((page) => ({ url: page.url, html: page.html }))
    : loadFixtures().map((page) => ({ url: page.meta.url ?? `https://fixture.test/${page.slug}`, html: page.html.replace(/\sdata-winnow-label="[^"]*"/g, '') }));
  const out: Page[] = [];
  for (let i = 0; out.length < limit; i++) {
    const page = pages[i % pages.length];
    // Distinct URLs so every copy is its own page and job.
    out.push({ url: `${page.url}${page.url.includes('?') ? '&' : '?'}copy=${i}`, html: page.html });
  }
  return out;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startRedis(dir: string): Promise<{ url: string; stop: () => void }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => undefined };
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const probe = createProducerConnection(url);
  probe.on('error', () => undefined);
  await waitForReady(probe, 10_000);
  probe.disconnect();
  return { url, stop: () => child.kill('SIGTERM') };
}

async function run(threads: number, pages: Page[], redisUrl: string, dir: string): Promise<{ seconds: number; failed: number }> {
  const prefix = `{bench-${threads}-${Date.now()}}`;
  const databasePath = join(dir, `bench-${threads}.db`);
  const store = SqliteStore.open(databasePath);
  const ids: string[] = [];
  for (const page of pages) ids.push((await store.putPage({ url: page.url, source: 'api', raw: Buffer.from(page.html) })).page.id);
  await store.close();

  const producer = createProducerConnection(redisUrl);
  const queues = createQueues(producer, { prefix });
  const eventsConnection = createWorkerConnection(redisUrl);
  eventsConnection.on('error', () => undefined);
  const events = new QueueEvents(MODERATE_QUEUE, { connection: eventsConnection, prefix });
  await events.waitUntilReady();
  let done = 0;
  let failed = 0;
  const finished = new Promise<void>((resolve) => {
    const count = () => {
      if (done + failed === ids.length) resolve();
    };
    events.on('completed', () => {
      done++;
      count();
    });
    events.on('failed', () => {
      failed++;
      count();
    });
  });
  const workers = await startWorkers({
    stages: ['moderate'],
    redisUrl,
    queuePrefix: prefix,
    moderateConcurrency: threads,
    databasePath,
    databaseUrl: '',
    log: () => undefined,
  });
  // Children start on the first jobs; the clock starts when the jobs are queued.
  const start = performance.now();
  for (const id of ids) await enqueueModerate(queues.moderate, id);
  await finished;
  const seconds = (performance.now() - start) / 1000;
  await workers.close();
  await events.close();
  eventsConnection.disconnect();
  await Promise.all([queues.fetch.close(), queues.moderate.close()]);
  producer.disconnect();
  return { seconds, failed };
}

/** Stores the pages, moderates them through the queue with each thread count in turn, and prints and returns the rows. */
export async function queueThroughput(options: QueueOptions): Promise<QueueReport> {
  const log = options.log ?? console.log;
  const source = options.source ?? (corpusDir() ? 'corpus' : 'fixtures');
  const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-queue-'));
  const redis = await startRedis(dir);
  try {
    const pages = benchPages(options.pages, source);
    log(`${pages.length} pages (${source}), ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, ${new Date().toISOString()}`);
    log('moderation threads  pages  failed  seconds  pages/s  speed-up');
    const rows: QueueRow[] = [];
    for (const threads of options.threads) {
      const { seconds, failed } = await run(threads, pages, redis.url, dir);
      const pagesPerSecond = pages.length / seconds;
      const row = { threads, pages: pages.length, failed, seconds, pagesPerSecond, speedUp: pagesPerSecond / (rows[0]?.pagesPerSecond ?? pagesPerSecond) };
      rows.push(row);
      log(`${String(threads).padStart(18)}  ${String(row.pages).padStart(5)}  ${String(failed).padStart(6)}  ${seconds.toFixed(1).padStart(7)}  ${pagesPerSecond.toFixed(1).padStart(7)}  ${row.speedUp.toFixed(2).padStart(7)}x`);
    }
    return { source, pages: pages.length, rows };
  } finally {
    redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run only when started as a script, not when bench/speed imports the function.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  queueThroughput({ pages: Number(argument('--pages', '200')), threads: argument('--threads', '1,2').split(',').map(Number) }).catch((error: Error) => {
    console.error(error.stack ?? error.message);
    process.exitCode = 1;
  });
}
