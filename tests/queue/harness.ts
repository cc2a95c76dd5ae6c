import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DefaultJobOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { startWorkers, type StartWorkersOptions, type WorkersHandle } from '../../workers/main.js';
import {
  createProducerConnection,
  createQueues,
  waitForReady,
  type FetchJobData,
  type FetchJobResult,
  type ModerateJobData,
  type ModerateJobResult,
} from '../../workers/queues.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURE_PAGES = join(ROOT, 'fixtures/pages');
const SANDBOX_JS = join(ROOT, 'dist/workers/moderate.sandbox.js');

/**
 * Compile the project (`tsc -p tsconfig.json`) unless dist/ is newer than every source file:
 * the sandboxed processor is forked from the compiled JavaScript.
 */
export function buildDist(): void {
  if (existsSync(SANDBOX_JS) && newestSource() < statSync(SANDBOX_JS).mtimeMs) return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
}

function newestSource(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ['src', 'workers', 'bench']) walk(join(ROOT, dir));
  return Math.max(newest, statSync(join(ROOT, 'tsconfig.json')).mtimeMs);
}

/** Slugs of the fixture pages, sorted. */
export function fixtureSlugs(): string[] {
  return readdirSync(FIXTURE_PAGES).filter((slug) => existsSync(join(FIXTURE_PAGES, slug, 'page.html'))).sort();
}

/** A local HTTP server serving the fixture pages and canned failures. */
export interface FixtureServer {
  /** `http://127.0.0.1:<port><path>` */
  url(path: string): string;
  /** Requests per path (query string included). */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Routes: `/pages/<slug>` the fixture page as text/html (`?delay=<ms>` answers late);
 * `/status/<code>` that status; `/image.png` a PNG.
 */
export async function startFixtureServer(): Promise<FixtureServer> {
  const hits = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    hits.set(request.url ?? '/', (hits.get(request.url ?? '/') ?? 0) + 1);
    const page = /^\/pages\/([\w-]+)$/.exec(url.pathname);
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (page && existsSync(join(FIXTURE_PAGES, page[1], 'page.html'))) {
      const body = readFileSync(join(FIXTURE_PAGES, page[1], 'page.html'));
      const send = (): void => {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
        response.end(body);
      };
      const delay = Number(url.searchParams.get('delay') ?? 0);
      if (delay > 0) setTimeout(send, delay);
      else send();
    } else if (status) {
      response.writeHead(Number(status[1]), { 'content-type': 'text/html' });
      response.end(`<html><body><p>status ${status[1]}</p></body></html>`);
    } else if (url.pathname === '/image.png') {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    hits,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A producer on its own prefix: what `winnow enqueue` or the API would hold. */
export interface Producer {
  prefix: string;
  connection: Redis;
  fetch: Queue<FetchJobData, FetchJobResult>;
  moderate: Queue<ModerateJobData, ModerateJobResult>;
  close(): Promise<void>;
}

/** A fresh prefix per test (with its own hash tag), so tests never see each other's jobs. */
export function testPrefix(): string {
  return `{t-${randomUUID().slice(0, 8)}}`;
}

export async function openProducer(redisUrl: string, prefix: string, jobOptions?: DefaultJobOptions): Promise<Producer> {
  const connection = createProducerConnection(redisUrl);
  await waitForReady(connection);
  const queues = createQueues(connection, { prefix, jobOptions });
  return {
    prefix,
    connection,
    ...queues,
    async close() {
      await queues.fetch.close();
      await queues.moderate.close();
      await connection.quit();
    },
  };
}

/** Poll `check` every 50 ms until it returns true; fails after `timeoutMs` with `what`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** The SQLite file of the test on `prefix`, in the folder `dir`. */
export function databaseFile(dir: string, prefix: string): string {
  return join(dir, `${prefix.slice(1, -1)}.db`);
}

export interface RigOptions {
  /** @defaultValue a fresh {@link testPrefix} */
  prefix?: string;
  /** Default job options of the producer's queues. */
  jobOptions?: DefaultJobOptions;
  /** Options of every {@link QueueRig.startWorkers} call of this rig (the call's own options win). */
  workers?: Partial<StartWorkersOptions>;
}

/** What one test works with, on its own prefix and SQLite file. Its functions may be destructured (they use no `this`). */
export interface QueueRig {
  prefix: string;
  databasePath: string;
  producer: Producer;
  /** The SQLite file the workers write to, opened by the test. */
  store: SqliteStore;
  /**
   * Start workers in this process on the rig's Redis, prefix and SQLite file (not DATABASE_URL),
   * allowed to fetch from 127.0.0.1, with no per-host delay and no log; then the rig's `workers`
   * options, then `options`. They are closed with the rig.
   */
  startWorkers(options?: Partial<StartWorkersOptions>): Promise<WorkersHandle>;
  /** Close `resource` with the rig, after its workers and before its producer (last adopted first). */
  adopt<T extends { close(): Promise<unknown> }>(resource: T): T;
  /** Close the workers (all at once), the adopted resources, the producer, then the store. */
  close(): Promise<void>;
}

async function openQueueRig(redisUrl: string, dir: string, options: RigOptions): Promise<QueueRig> {
  const prefix = options.prefix ?? testPrefix();
  const databasePath = databaseFile(dir, prefix);
  const producer = await openProducer(redisUrl, prefix, options.jobOptions);
  const store = SqliteStore.open(databasePath);
  const handles: WorkersHandle[] = [];
  const adopted: { close(): Promise<unknown> }[] = [];
  return {
    prefix,
    databasePath,
    producer,
    store,
    async startWorkers(workerOptions = {}) {
      const handle = await startWorkers({
        redisUrl,
        queuePrefix: prefix,
        databasePath,
        databaseUrl: '',
        fetchOptions: { allowPrivate: ['127.0.0.1'] },
        hostDelayMs: 0,
        log: () => undefined,
        ...options.workers,
        ...workerOptions,
      });
      handles.push(handle);
      return handle;
    },
    adopt(resource) {
      adopted.push(resource);
      return resource;
    },
    async close() {
      await Promise.all(handles.splice(0).map((handle) => handle.close()));
      for (const resource of adopted.splice(0).reverse()) await resource.close();
      await producer.close();
      await store.close();
    },
  };
}

/** A throwaway Redis and a temp folder for the tests of one file, and the rigs its tests open. */
export interface QueueEnv {
  redis: TestRedis;
  /** A fresh temp folder (SQLite files, models folders, WARCs), removed by {@link close}. */
  tmp: string;
  /** Open a rig on this Redis, its SQLite file in {@link tmp}; {@link closeRigs} closes it. */
  openRig(options?: RigOptions): Promise<QueueRig>;
  /** Close the rigs opened since the last call (for afterEach). */
  closeRigs(): Promise<void>;
  /** Close any rig still open, stop Redis and remove the folder (for afterAll). */
  close(): Promise<void>;
}

/** Start a private redis-server and make a temp folder named `<tmpName>XXXXXX`. */
export async function startQueueEnv(tmpName: string): Promise<QueueEnv> {
  const redis = await startRedis();
  const tmp = mkdtempSync(join(tmpdir(), tmpName));
  const rigs: QueueRig[] = [];
  const closeRigs = async (): Promise<void> => {
    for (const rig of rigs.splice(0)) await rig.close();
  };
  return {
    redis,
    tmp,
    async openRig(options = {}) {
      const rig = await openQueueRig(redis.url, tmp, options);
      rigs.push(rig);
      return rig;
    },
    closeRigs,
    async close() {
      await closeRigs();
      await redis.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
