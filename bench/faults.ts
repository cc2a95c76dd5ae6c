/**
 * Nothing lost, nothing stuck, at scale: the stage ledger's fault scenarios on N URLs (default
 * 1,000) of a local site, each against worker OS processes (`winnow worker`), a throwaway Redis and
 * a throwaway PostgreSQL (the test helpers' own), then a table of done / failed / stuck / lost /
 * duplicated pages read from the database.
 *
 *   node dist/bench/faults.js [--urls 1000] [--outage-s 40] [--scenarios redis,store,stall] [--settle-s 600]
 *
 * - redis: Redis restarted without persistence once a third of the pages are stored, then
 *   `requeue-pending --older-than 1s` (one pass), then the workers' own reconciler.
 * - store: PostgreSQL stopped for `--outage-s` (longer than the ~30 s the retry backoff adds up
 *   to), then started again; also counts failed jobs and attempts spent.
 * - stall: the worker SIGKILLed twice while moderate jobs are active (short locks), a fresh one
 *   started each time; also counts moderation children left alive after each kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { formatTable } from '../src/eval/quality.js';
import { openStore } from '../src/storage/open-store.js';
import type { Store } from '../src/storage/store.js';
import { normalizeUrl } from '../src/storage/url-key.js';
import { requeuePendingCommand } from '../workers/commands.js';
import { createProducerConnection, createQueues, waitForReady } from '../workers/queues.js';
import { submitFetch } from '../workers/submissions.js';
import { startPostgres, type TestPostgres } from '../tests/helpers/postgres.js';
import { startRedis, type TestRedis } from '../tests/helpers/redis.js';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const URLS = Number(argument('--urls', '1000'));
const OUTAGE_MS = Number(argument('--outage-s', '40')) * 1000;
const SCENARIOS = argument('--scenarios', 'redis,store,stall').split(',');
/** How long a scenario waits for every page to settle before it counts what is left. */
const SETTLE_MS = Number(argument('--settle-s', '600')) * 1000;
const ROOT = packageRoot();
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await sleep(250);
  }
  process.stderr.write(`  (gave up waiting for ${what} after ${timeoutMs / 1000} s)\n`);
  return false;
}

/** A site of short articles: `/a/<n>` is article n. */
async function startSite(): Promise<{ base: string; server: Server }> {
  const server = createServer((request, response) => {
    const n = /^\/a\/(\d+)$/.exec(request.url ?? '')?.[1];
    if (!n) return void response.writeHead(404).end();
    const paragraphs = Array.from({ length: 6 }, (_, i) => `<p>Paragraph ${i + 1} of story ${n}: the council met on Tuesday to discuss the new budget, and residents spoke for and against the plan at length.</p>`);
    const html = `<!doctype html><html><head><title>Story ${n}</title></head><body><nav><a href="/">Home</a></nav><article><h1>Story ${n}</h1>${paragraphs.join('')}</article><footer>© Site</footer></body></html>`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  return { base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server };
}

interface Rig {
  redis: TestRedis;
  postgres: TestPostgres;
  site: string;
}

interface Spawned {
  child: ChildProcess;
  exited: Promise<void>;
}

function spawnWorker(rig: Rig, prefix: string, databaseUrl: string, env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, [CLI, 'worker'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
    env: {
      ...process.env,
      REDIS_URL: rig.redis.url,
      WINNOW_QUEUE_PREFIX: prefix,
      DATABASE_URL: databaseUrl,
      WINNOW_ALLOW_PRIVATE: '127.0.0.1',
      WINNOW_HOST_DELAY_MS: '0',
      WINNOW_HOST_CONCURRENCY: '64',
      WINNOW_FETCH_CONCURRENCY: '8',
      WINNOW_MODERATE_CONCURRENCY: '2',
      WINNOW_RECONCILE_INTERVAL_MS: '5000',
      WINNOW_RECONCILE_AFTER_MS: '5000',
      ...env,
    },
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return { child, exited };
}

async function stopGroup(worker: Spawned, signal: NodeJS.Signals): Promise<void> {
  try {
    process.kill(-worker.child.pid!, signal);
  } catch {
    return;
  }
  await Promise.race([worker.exited, sleep(40_000)]);
  try {
    process.kill(-worker.child.pid!, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Live children of `pid` (zombies excluded). */
function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
        return Number(ppid) === pid && state !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Audit {
  done: number;
  failed: number;
  stuck: number;
  lost: number;
  duplicated: number;
  reasons: string;
}

async function audit(databaseUrl: string, urls: readonly string[]): Promise<Audit> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = (await client.query<{ url_key: string; status: string; error_code: string | null }>('SELECT url_key, status, error_code FROM pages')).rows;
    const doubleArticles = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM (SELECT page_id FROM articles GROUP BY page_id HAVING count(*) > 1) d')).rows[0].n);
    const settled = new Set(rows.filter((row) => row.status === 'done' || row.status === 'failed').map((row) => row.url_key));
    const perKey = new Map<string, number>();
    for (const row of rows) perKey.set(row.url_key, (perKey.get(row.url_key) ?? 0) + 1);
    const reasons = new Map<string, number>();
    for (const row of rows) if (row.status === 'failed') reasons.set(row.error_code ?? '?', (reasons.get(row.error_code ?? '?') ?? 0) + 1);
    return {
      done: rows.filter((row) => row.status === 'done').length,
      failed: rows.filter((row) => row.status === 'failed').length,
      stuck: rows.filter((row) => row.status === 'pending' || row.status === 'fetched').length,
      lost: urls.filter((url) => !settled.has(normalizeUrl(url))).length,
      duplicated: [...perKey.values()].reduce((sum, n) => sum + n - 1, 0) + doubleArticles,
      reasons: [...reasons].map(([code, n]) => `${code} ${n}`).join(', ') || '-',
    };
  } finally {
    await client.end();
  }
}

/** A fresh database and queue prefix, the URLs submitted as `winnow enqueue` does. */
async function submit(rig: Rig, name: string): Promise<{ prefix: string; databaseUrl: string; urls: string[]; store: Store; close(): Promise<void>; queues: ReturnType<typeof createQueues> }> {
  const prefix = `{bench-${name}-${Date.now().toString(36)}}`;
  const databaseUrl = await rig.postgres.createDatabase();
  const store = await openStore({ databaseUrl, sqlitePath: ':memory:' });
  const connection = createProducerConnection(rig.redis.url);
  connection.on('error', () => undefined);
  await waitForReady(connection);
  const queues = createQueues(connection, { prefix });
  for (const queue of [queues.fetch, queues.moderate]) queue.on('error', () => undefined);
  const urls = Array.from({ length: URLS }, (_, n) => `${rig.site}/a/${n}`);
  for (const url of urls) await submitFetch(queues.fetch, store, { url, source: 'url' });
  return {
    prefix,
    databaseUrl,
    urls,
    store,
    queues,
    async close() {
      await queues.fetch.close().catch(() => undefined);
      await queues.moderate.close().catch(() => undefined);
      connection.disconnect();
      await store.close();
    },
  };
}

async function settledAll(databaseUrl: string, urls: readonly string[]): Promise<boolean> {
  const now = await audit(databaseUrl, urls);
  return now.stuck === 0 && now.lost === 0;
}

type Row = [string, Audit, string];

async function redisScenario(rig: Rig): Promise<Row> {
  const run = await submit(rig, 'redis');
  const worker = spawnWorker(rig, run.prefix, run.databaseUrl);
  await until('a third of the pages done', async () => (await audit(run.databaseUrl, run.urls)).done >= URLS / 3, 300_000);
  await rig.redis.restart();
  await sleep(1500);
  const out: string[] = [];
  const sink = { write: (chunk: string) => out.push(chunk) } as unknown as NodeJS.WritableStream;
  await requeuePendingCommand({ olderThan: '1s', config: { redisUrl: rig.redis.url, queuePrefix: run.prefix }, store: run.store, stdout: sink });
  const pass = out.join('').trim().split('\n').at(-1) ?? '';
  await until('every page settled', () => settledAll(run.databaseUrl, run.urls), SETTLE_MS);
  const result = await audit(run.databaseUrl, run.urls);
  await stopGroup(worker, 'SIGTERM');
  await run.close();
  return ['Redis restart, no persistence', result, `requeue-pending: ${pass}`];
}

async function storeScenario(rig: Rig): Promise<Row> {
  const run = await submit(rig, 'store');
  const worker = spawnWorker(rig, run.prefix, run.databaseUrl);
  await until('a tenth of the pages done', async () => (await audit(run.databaseUrl, run.urls)).done >= URLS / 10, 300_000);
  await rig.postgres.halt();
  await sleep(OUTAGE_MS);
  await rig.postgres.restart();
  await until('every page settled', () => settledAll(run.databaseUrl, run.urls), SETTLE_MS);
  const result = await audit(run.databaseUrl, run.urls);
  const failedJobs = (await run.queues.fetch.getFailedCount()) + (await run.queues.moderate.getFailedCount());
  const completed = [...(await run.queues.fetch.getCompleted(0, URLS)), ...(await run.queues.moderate.getCompleted(0, URLS))];
  const extraAttempts = completed.filter((job) => job.attemptsMade > 1).length;
  await stopGroup(worker, 'SIGTERM');
  await run.close();
  return [`PostgreSQL down ${OUTAGE_MS / 1000} s`, result, `${failedJobs} failed jobs, ${extraAttempts} jobs with >1 attempt`];
}

async function stallScenario(rig: Rig): Promise<Row> {
  const run = await submit(rig, 'stall');
  const fast = { WINNOW_LOCK_MS: '1000', WINNOW_STALLED_INTERVAL_MS: '300' };
  let worker = spawnWorker(rig, run.prefix, run.databaseUrl, fast);
  let orphans = 0;
  for (let kill = 1; kill <= 2; kill++) {
    await until(`moderation under way (kill ${kill})`, async () => (await run.queues.moderate.getActiveCount()) > 0 && childPids(worker.child.pid!).length > 0, 300_000);
    const children = childPids(worker.child.pid!);
    process.kill(worker.child.pid!, 'SIGKILL');
    await worker.exited;
    await sleep(3000);
    orphans += children.filter(alive).length;
    for (const pid of children.filter(alive)) process.kill(pid, 'SIGKILL');
    worker = spawnWorker(rig, run.prefix, run.databaseUrl, fast);
  }
  await until('every page settled', () => settledAll(run.databaseUrl, run.urls), SETTLE_MS);
  const result = await audit(run.databaseUrl, run.urls);
  await stopGroup(worker, 'SIGTERM');
  await run.close();
  return ['worker SIGKILLed twice', result, `${orphans} moderation children alive 3 s after their worker was killed`];
}

async function main(): Promise<void> {
  const [redis, postgres, site] = await Promise.all([startRedis(), startPostgres(), startSite()]);
  const rig: Rig = { redis, postgres, site: site.base };
  const rows: Row[] = [];
  try {
    const scenarios: Record<string, (rig: Rig) => Promise<Row>> = { redis: redisScenario, store: storeScenario, stall: stallScenario };
    for (const name of SCENARIOS) {
      const started = Date.now();
      process.stderr.write(`scenario ${name} on ${URLS} URLs...\n`);
      const row = await scenarios[name](rig);
      row[2] += `; ${Math.round((Date.now() - started) / 1000)} s`;
      rows.push(row);
      process.stderr.write(`  ${JSON.stringify(row[1])} ${row[2]}\n`);
    }
  } finally {
    site.server.close();
    await redis.stop();
    await postgres.stop();
  }
  console.log(
    formatTable(
      ['scenario', 'URLs', 'done', 'failed', 'stuck', 'lost', 'duplicated', 'failure reasons'],
      rows.map(([name, a]) => [name, String(URLS), String(a.done), String(a.failed), String(a.stuck), String(a.lost), String(a.duplicated), a.reasons]),
    ),
  );
  for (const [name, , note] of rows) console.log(`${name}: ${note}`);
}

await main();
