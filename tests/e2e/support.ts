/**
 * End-to-end support: worker OS processes, a page server with slow/hanging/looping routes, the
 * HTTP API on a real store and real queues, and direct row counts in SQLite or PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DefaultJobOptions } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { buildApp } from '../../src/api/app.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import { normalizeUrl } from '../../src/storage/url-key.js';
import { createProducerConnection, createQueues, waitForReady, type FetchJobData, type FetchJobResult, type ModerateJobData, type ModerateJobResult } from '../../workers/queues.js';
import type { Queue } from 'bullmq';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { buildDist, FIXTURE_PAGES, fixtureSlugs, ROOT, until } from '../queue/harness.js';

export { buildDist, fixtureSlugs, testPrefix, until } from '../queue/harness.js';

export const CLI = join(ROOT, 'dist/src/cli/main.js');
export const E2E_ENTRY = join(ROOT, 'tests/e2e/worker-entry.mjs');

/** Where results go: a SQLite file shared by every process, or a PostgreSQL database. */
export type DbTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/* ------------------------------------------------------------------ services of a test file */

/** What an e2e test file runs against: throwaway Redis and PostgreSQL servers, the page server, a temp folder. */
export interface E2eServices {
  redis: TestRedis;
  postgres: TestPostgres;
  server: PageServer;
  tmp: string;
  /** Kill any worker process still running, then stop the servers and remove the folder (for afterAll). */
  close(): Promise<void>;
}

/** Compile dist/ (the worker processes run it), start the services and make a temp folder named `<tmpName>XXXXXX`. */
export async function startE2eServices(tmpName: string): Promise<E2eServices> {
  buildDist();
  const [redis, postgres, server] = await Promise.all([startRedis(), startPostgres(), startPageServer()]);
  const tmp = mkdtempSync(join(tmpdir(), tmpName));
  return {
    redis,
    postgres,
    server,
    tmp,
    async close() {
      await killAllWorkers();
      await server.close();
      await redis.stop();
      await postgres.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/* ------------------------------------------------------------------ worker processes */

export interface WorkerProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True until the process exits. */
  alive(): boolean;
  /** Send `signal` and wait (at most `timeoutMs`) for the exit; SIGKILLs the group after that. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** SIGKILL the process and its sandboxed children (a machine or container crash). */
  crash(): Promise<void>;
}

export interface SpawnWorkerOptions {
  name: string;
  /** `cli`: `node dist/src/cli/main.js worker`; `e2e`: tests/e2e/worker-entry.mjs (same code, short locks). */
  entry: 'cli' | 'e2e';
  redisUrl: string;
  prefix: string;
  db: DbTarget;
  /** Extra environment (E2E_* knobs, concurrency). */
  env?: Record<string, string>;
}

const spawned = new Set<WorkerProcess>();

/** Start a worker process. It is its own process group leader, so a crash takes its children too. */
export function spawnWorker(options: SpawnWorkerOptions): WorkerProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: options.redisUrl,
    WINNOW_QUEUE_PREFIX: options.prefix,
    WINNOW_ALLOW_PRIVATE: '127.0.0.1',
    // In case per-host politeness lands meanwhile: every test page is on 127.0.0.1.
    WINNOW_HOST_DELAY_MS: '0',
    WINNOW_HOST_CONCURRENCY: '50',
    WINNOW_FETCH_CONCURRENCY: '8',
    WINNOW_MODERATE_CONCURRENCY: '1',
    WINNOW_SHUTDOWN_TIMEOUT_MS: '20000',
    ...(options.db.kind === 'sqlite' ? { WINNOW_DB: options.db.path, DATABASE_URL: '' } : { DATABASE_URL: options.db.url }),
    ...options.env,
  };
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.VITEST_POOL_ID;
  const args = options.entry === 'cli' ? [CLI, 'worker'] : [E2E_ENTRY];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };
  const handle: WorkerProcess = {
    name: options.name,
    pid: child.pid!,
    child,
    output: () => output,
    exited,
    alive: () => running,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      const started = Date.now();
      if (running) child.kill(signal);
      const timer = setTimeout(() => killGroup('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      // Sandboxed children that outlived their parent (they should not) go with the group.
      killGroup('SIGKILL');
      spawned.delete(handle);
      return { ...result, ms: Date.now() - started };
    },
    async crash() {
      killGroup('SIGKILL');
      await exited;
      spawned.delete(handle);
    },
  };
  spawned.add(handle);
  return handle;
}

/** SIGKILL every worker process group a test left running (afterEach/afterAll safety net). */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...spawned].map((worker) => worker.crash()));
}

/** Worker processes' last output, for failure messages. */
function outputs(workers: WorkerProcess[]): string {
  return workers.map((worker) => `--- worker ${worker.name} (alive: ${worker.alive()})\n${worker.output().slice(-4000)}`).join('\n');
}

/** `until`, with the workers' output attached when it times out. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, workers: WorkerProcess[]): Promise<void> {
  await until(what, check, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}\n${outputs(workers)}`);
  });
}

/* ------------------------------------------------------------------ page server */

export interface PageServer {
  base: string;
  /** `http://127.0.0.1:<port><path>` */
  url(path: string): string;
  /** Requests per path (query string excluded). */
  hits: Map<string, number>;
  /** Requests of a path that have arrived and not been answered yet. */
  open: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Routes:
 * - `/p/<n>/<slug>`: fixture page `<slug>` (a distinct URL per n); `?ms=` answers late
 * - `/slow/<n>`: the first fixture page, headers only after `?ms=` (default 3000)
 * - `/hang/<n>`: accepts the request and never sends headers
 * - `/loop/a` ⇄ `/loop/b`: a redirect loop
 * - `/big/<n>`: a 3.8 MB article of 15,000 paragraphs, seconds of moderation (a job still running when its worker dies)
 */
export async function startPageServer(): Promise<PageServer> {
  const hits = new Map<string, number>();
  const open = new Map<string, number>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const pages = new Map<string, Buffer>();
  const page = (slug: string): Buffer | undefined => {
    if (!pages.has(slug)) {
      const file = join(FIXTURE_PAGES, slug, 'page.html');
      if (!/^[\w-]+$/.test(slug) || !existsSync(file)) return undefined;
      pages.set(slug, readFileSync(file));
    }
    return pages.get(slug);
  };
  const firstSlug = fixtureSlugs()[0];
  let bigPage: Buffer | undefined;
  const sendPage = (response: ServerResponse, body: Buffer): void => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
    response.end(body);
  };
  const later = (ms: number, path: string, send: () => void): void => {
    open.set(path, (open.get(path) ?? 0) + 1);
    const timer = setTimeout(() => {
      timers.delete(timer);
      open.set(path, (open.get(path) ?? 1) - 1);
      send();
    }, ms);
    timers.add(timer);
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const ms = Number(url.searchParams.get('ms') ?? 0);
    let match: RegExpExecArray | null;
    if ((match = /^\/p\/\d+\/([\w-]+)$/.exec(path))) {
      const body = page(match[1]);
      if (!body) {
        response.writeHead(404).end();
      } else if (ms > 0) {
        later(ms, path, () => sendPage(response, body));
      } else {
        sendPage(response, body);
      }
    } else if (/^\/slow\/\d+$/.test(path)) {
      later(url.searchParams.has('ms') ? ms : 3000, path, () => sendPage(response, page(firstSlug)!));
    } else if (/^\/hang\/\d+$/.test(path)) {
      // Never answer; the socket stays open until the client gives up or the server closes.
      open.set(path, (open.get(path) ?? 0) + 1);
      request.socket.once('close', () => open.set(path, (open.get(path) ?? 1) - 1));
    } else if (/^\/big\/\d+$/.test(path)) {
      sendPage(response, (bigPage ??= largeArticle(15_000)));
    } else if (path === '/loop/a' || path === '/loop/b') {
      response.writeHead(302, { location: path === '/loop/a' ? '/loop/b' : '/loop/a' }).end();
    } else {
      response.writeHead(404).end();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    url: (path) => `${base}${path}`,
    hits,
    open,
    close: () =>
      new Promise<void>((done) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/** An article of `paragraphs` paragraphs of prose, 50 to a section. */
function largeArticle(paragraphs: number): Buffer {
  const paragraph = `<p>${'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. '.repeat(2)}</p>`;
  const parts = ['<!doctype html><html><head><title>A long read</title></head><body><article><h1>A long read</h1>'];
  for (let i = 0; i < paragraphs; i += 50) parts.push(`<div class="section">${paragraph.repeat(Math.min(50, paragraphs - i))}</div>`);
  parts.push('</article></body></html>');
  return Buffer.from(parts.join(''));
}

/** `count` distinct page URLs on `server`, cycling through the fixture pages. */
export function pageUrls(server: PageServer, count: number, options: { from?: number; ms?: number } = {}): string[] {
  const slugs = fixtureSlugs();
  const from = options.from ?? 0;
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return server.url(`/p/${n}/${slugs[n % slugs.length]}${options.ms ? `?ms=${options.ms}` : ''}`);
  });
}

/* ------------------------------------------------------------------ API */

export interface Api {
  app: FastifyInstance;
  store: Store;
  connection: Redis;
  queues: { fetch: Queue<FetchJobData, FetchJobResult>; moderate: Queue<ModerateJobData, ModerateJobResult> };
  auth: { authorization: string };
  /** POST /v1/pages `{pages}`; returns the response. */
  submit(urls: string[]): Promise<{ statusCode: number; body: { pages?: { id: string; url: string; status: string }[]; code?: string } }>;
  close(): Promise<void>;
}

/**
 * The HTTP API as `winnow serve` builds it (buildApp on a real store, real queues on a producer
 * connection), driven with app.inject. Opening the store here also applies the migrations before
 * any worker starts, as a deployment's `serve` would.
 */
export async function openApi(redisUrl: string, prefix: string, db: DbTarget, jobOptions?: DefaultJobOptions): Promise<Api> {
  const store = await openStore(db.kind === 'sqlite' ? { sqlitePath: db.path, databaseUrl: '' } : { sqlitePath: ':memory:', databaseUrl: db.url });
  const connection = createProducerConnection(redisUrl);
  connection.on('error', () => undefined);
  await waitForReady(connection);
  const queues = createQueues(connection, { prefix, jobOptions });
  // As src/api/server.ts does: a queue with no 'error' listener prints every reconnect failure.
  for (const queue of [queues.fetch, queues.moderate]) queue.on('error', () => undefined);
  const token = randomBytes(32).toString('hex');
  const app = await buildApp({ store, queues, token, allowPrivate: ['127.0.0.1'] });
  await app.ready();
  const auth = { authorization: `Bearer ${token}` };
  return {
    app,
    store,
    connection,
    queues,
    auth,
    async submit(urls) {
      const response = await app.inject({ method: 'POST', url: '/v1/pages', headers: auth, payload: { pages: urls.map((url) => ({ url })) } });
      return { statusCode: response.statusCode, body: response.json() };
    },
    async close() {
      await app.close();
      await queues.fetch.close().catch(() => undefined);
      await queues.moderate.close().catch(() => undefined);
      await connection.quit().catch(() => connection.disconnect());
      await store.close();
    },
  };
}

/** True when neither of the API's queues holds an active, waiting or delayed job. */
export async function queuesDrained(api: Api): Promise<boolean> {
  const [f, m] = await Promise.all([
    api.queues.fetch.getJobCounts('active', 'waiting', 'delayed'),
    api.queues.moderate.getJobCounts('active', 'waiting', 'delayed'),
  ]);
  return f.active + f.waiting + f.delayed + m.active + m.waiting + m.delayed === 0;
}

/* ------------------------------------------------------------------ row counts */

export interface DbCounts {
  pages: number;
  articles: number;
  blocks: number;
  /** pages per status */
  status: Record<string, number>;
  /** url_key values held by more than one page row */
  duplicateUrlKeys: number;
  /** page ids with more than one article row */
  duplicateArticlePages: number;
  /** failed pages: [url, error_code] */
  failures: [string | null, string | null][];
  /** article ids */
  articleIds: Set<string>;
  /** page ids */
  pageIds: Set<string>;
}

const COUNT_SQL = {
  pages: 'SELECT count(*) AS n FROM pages',
  articles: 'SELECT count(*) AS n FROM articles',
  blocks: 'SELECT count(*) AS n FROM blocks',
  status: 'SELECT status, count(*) AS n FROM pages GROUP BY status',
  dupKeys: 'SELECT count(*) AS n FROM (SELECT url_key FROM pages GROUP BY url_key HAVING count(*) > 1) AS d',
  dupArticles: 'SELECT count(*) AS n FROM (SELECT page_id FROM articles GROUP BY page_id HAVING count(*) > 1) AS d',
  failures: "SELECT url, error_code FROM pages WHERE status = 'failed' ORDER BY url",
  articleIds: 'SELECT id FROM articles',
  pageIds: 'SELECT id FROM pages',
} as const;

/** Row counts read straight from the database, behind the Store's back. */
export async function dbCounts(db: DbTarget): Promise<DbCounts> {
  if (db.kind === 'sqlite') {
    const conn = new Database(db.path, { readonly: true, fileMustExist: true });
    try {
      conn.pragma('busy_timeout = 5000');
      const n = (sql: string): number => Number((conn.prepare(sql).get() as { n: number | bigint }).n);
      return {
        pages: n(COUNT_SQL.pages),
        articles: n(COUNT_SQL.articles),
        blocks: n(COUNT_SQL.blocks),
        status: Object.fromEntries((conn.prepare(COUNT_SQL.status).all() as { status: string; n: number }[]).map((row) => [row.status, Number(row.n)])),
        duplicateUrlKeys: n(COUNT_SQL.dupKeys),
        duplicateArticlePages: n(COUNT_SQL.dupArticles),
        failures: (conn.prepare(COUNT_SQL.failures).all() as { url: string | null; error_code: string | null }[]).map((row) => [row.url, row.error_code]),
        articleIds: new Set((conn.prepare(COUNT_SQL.articleIds).all() as { id: string }[]).map((row) => row.id)),
        pageIds: new Set((conn.prepare(COUNT_SQL.pageIds).all() as { id: string }[]).map((row) => row.id)),
      };
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const n = async (sql: string): Promise<number> => Number((await client.query<{ n: string }>(sql)).rows[0].n);
    return {
      pages: await n(COUNT_SQL.pages),
      articles: await n(COUNT_SQL.articles),
      blocks: await n(COUNT_SQL.blocks),
      status: Object.fromEntries((await client.query<{ status: string; n: string }>(COUNT_SQL.status)).rows.map((row) => [row.status, Number(row.n)])),
      duplicateUrlKeys: await n(COUNT_SQL.dupKeys),
      duplicateArticlePages: await n(COUNT_SQL.dupArticles),
      failures: (await client.query<{ url: string | null; error_code: string | null }>(COUNT_SQL.failures)).rows.map((row) => [row.url, row.error_code]),
      articleIds: new Set((await client.query<{ id: string }>(COUNT_SQL.articleIds)).rows.map((row) => row.id)),
      pageIds: new Set((await client.query<{ id: string }>(COUNT_SQL.pageIds)).rows.map((row) => row.id)),
    };
  } finally {
    await client.end();
  }
}

/** Article rows right now, or -1 while the database cannot be read (e.g. PostgreSQL down). */
export async function articleCount(db: DbTarget): Promise<number> {
  try {
    return (await dbCounts(db)).articles;
  } catch {
    return -1;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/* ------------------------------------------------------------------ the ledger's three numbers */

/** "Nothing lost, nothing stuck": what every fault scenario ends with. */
export interface LedgerAudit {
  /** Pages still `pending` or `fetched` (waiting for a job). */
  stuck: number;
  /** Submitted URLs with no page row that is `done` or `failed`. */
  lost: number;
  /** Extra rows: URLs held by more than one page row, pages with more than one article. */
  duplicated: number;
  done: number;
  failed: number;
}

/** The ledger of `urls` read straight from the database (SQLite file or PostgreSQL). */
export async function auditLedger(db: DbTarget, urls: readonly string[]): Promise<LedgerAudit> {
  const rows = await pageRows(db);
  const settled = new Set(rows.filter((row) => row.status === 'done' || row.status === 'failed').map((row) => row.url_key));
  const perKey = new Map<string, number>();
  for (const row of rows) perKey.set(row.url_key, (perKey.get(row.url_key) ?? 0) + 1);
  const counts = await dbCounts(db);
  return {
    stuck: rows.filter((row) => row.status === 'pending' || row.status === 'fetched').length,
    lost: urls.filter((url) => !settled.has(normalizeUrl(url))).length,
    duplicated: [...perKey.values()].reduce((sum, n) => sum + n - 1, 0) + counts.duplicateArticlePages,
    done: rows.filter((row) => row.status === 'done').length,
    failed: rows.filter((row) => row.status === 'failed').length,
  };
}

async function pageRows(db: DbTarget): Promise<{ url_key: string; status: string }[]> {
  const sql = 'SELECT url_key, status FROM pages';
  if (db.kind === 'sqlite') {
    const conn = new Database(db.path, { readonly: true, fileMustExist: true });
    try {
      conn.pragma('busy_timeout = 5000');
      return conn.prepare(sql).all() as { url_key: string; status: string }[];
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<{ url_key: string; status: string }>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Pids of the live child processes of `pid` (from /proc; a zombie counts as gone). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(Number(entry));
    if (stat && stat.ppid === pid && stat.state !== 'Z') children.push(Number(entry));
  }
  return children;
}

/** True while `pid` runs (a zombie, dead but not reaped, does not). */
export function processAlive(pid: number): boolean {
  const stat = processStat(pid);
  return stat !== null && stat.state !== 'Z';
}

function processStat(pid: number): { state: string; ppid: number } | null {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}
