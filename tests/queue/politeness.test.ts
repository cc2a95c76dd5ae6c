import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { startWorkers, type StartWorkersOptions, type WorkersHandle } from '../../workers/main.js';
import { hostKey, HostPoliteness } from '../../workers/politeness.js';
import { enqueueFetch, fetchJobId } from '../../workers/queues.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { openProducer, testPrefix, until, type Producer } from './harness.js';

/** One request as the server saw it (ms since the epoch). */
interface Seen {
  path: string;
  start: number;
  end: number;
}

interface SiteServer {
  port: number;
  url(path: string): string;
  seen: Seen[];
  /** Most requests this server had in flight at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

const PAGE = '<!doctype html><html><head><title>Polite</title></head><body><article><p>A page on a polite crawl.</p></article></body></html>';

/** Every path is a small HTML page answered after `latencyMs`, except /robots.txt (given text, or 404). */
async function startSite(options: { latencyMs?: number; robots?: string } = {}): Promise<SiteServer> {
  const site = { seen: [] as Seen[], maxInFlight: 0 };
  let inFlight = 0;
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path === '/robots.txt') {
      if (options.robots === undefined) response.writeHead(404).end();
      else response.writeHead(200, { 'content-type': 'text/plain' }).end(options.robots);
      return;
    }
    const seen: Seen = { path, start: Date.now(), end: 0 };
    site.seen.push(seen);
    inFlight++;
    site.maxInFlight = Math.max(site.maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      seen.end = Date.now();
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    }, options.latencyMs ?? 0);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(site, {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  }) as SiteServer;
}

let redis: TestRedis;
let tmp: string;
let producer: Producer | undefined;
let store: SqliteStore | undefined;
const handles: WorkersHandle[] = [];
const sites: SiteServer[] = [];

beforeAll(async () => {
  redis = await startRedis();
  tmp = mkdtempSync(join(tmpdir(), 'winnow-polite-'));
}, 60_000);

afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.close()));
  await Promise.all(sites.splice(0).map((site) => site.close()));
  await producer?.close();
  await store?.close();
  producer = undefined;
  store = undefined;
});

afterAll(async () => {
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function site(options: Parameters<typeof startSite>[0] = {}): Promise<SiteServer> {
  const started = await startSite(options);
  sites.push(started);
  return started;
}

/** A producer, a results store and `processes` fetch-only worker "processes" (each its own connections), all on a fresh prefix. */
async function setUp(options: Partial<StartWorkersOptions> & { processes?: number } = {}): Promise<{ producer: Producer; store: SqliteStore }> {
  const prefix = testPrefix();
  const databasePath = join(tmp, `${prefix.slice(1, -1)}.db`);
  producer = await openProducer(redis.url, prefix);
  store = SqliteStore.open(databasePath);
  const { processes = 1, ...rest } = options;
  for (let i = 0; i < processes; i++) {
    handles.push(
      await startWorkers({
        redisUrl: redis.url,
        queuePrefix: prefix,
        databasePath,
        databaseUrl: '',
        stages: ['fetch'],
        fetchOptions: { allowPrivate: ['127.0.0.1'] },
        log: () => undefined,
        ...rest,
      }),
    );
  }
  return { producer, store };
}

/** Gaps between consecutive request starts, in ms. */
function gaps(seen: Seen[]): number[] {
  const starts = seen.map((request) => request.start).sort((a, b) => a - b);
  return starts.slice(1).map((start, i) => start - starts[i]);
}

async function allCompleted(producer: Producer, urls: string[]): Promise<void> {
  await until(`${urls.length} fetch jobs completed`, async () => (await producer.fetch.getCompletedCount()) === urls.length, 20_000);
  for (const url of urls) {
    const job = await producer.fetch.getJob(fetchJobId(url));
    // Waiting for the host moved the job back to delayed without using up an attempt.
    expect(job!.attemptsMade, url).toBe(1);
  }
  expect(await producer.fetch.getFailedCount()).toBe(0);
}

describe('robots.txt in the fetch stage', () => {
  it('fails a URL robots.txt disallows at once with robots_disallowed, and fetches the allowed one', async () => {
    const server = await site({ robots: 'User-agent: *\nDisallow: /private\n' });
    const { producer, store } = await setUp({ hostDelayMs: 0 });
    const allowed = server.url('/public/news');
    const disallowed = server.url('/private/report');
    await enqueueFetch(producer.fetch, allowed);
    await enqueueFetch(producer.fetch, disallowed);

    await until('both fetch jobs finished', async () => (await producer.fetch.getJobCounts('completed', 'failed')).completed + (await producer.fetch.getFailedCount()) === 2);

    const failed = await producer.fetch.getJob(fetchJobId(disallowed));
    expect(await failed!.getState()).toBe('failed');
    expect(failed!.attemptsMade).toBe(1);
    expect(failed!.failedReason).toMatch(/^robots_disallowed: /);
    expect(await producer.fetch.getJob(fetchJobId(allowed)).then((job) => job!.getState())).toBe('completed');
    expect(server.seen.map((request) => request.path)).toEqual(['/public/news']);
    const failures = await store.listFailures();
    expect(failures.map((page) => [page.url, page.errorCode])).toEqual([[disallowed, 'robots_disallowed']]);
  });

  it('ignores robots.txt when respectRobots is off (WINNOW_RESPECT_ROBOTS=false)', async () => {
    const server = await site({ robots: 'User-agent: *\nDisallow: /\n' });
    const { producer } = await setUp({ hostDelayMs: 0, respectRobots: false });
    const url = server.url('/private/report');
    await enqueueFetch(producer.fetch, url);
    await allCompleted(producer, [url]);
    expect(server.seen.map((request) => request.path)).toEqual(['/private/report']);
  });

  it('spaces fetches by a Crawl-delay larger than the host delay', async () => {
    const server = await site({ robots: 'User-agent: *\nCrawl-delay: 0.6\n' });
    const { producer } = await setUp({ hostDelayMs: 0, fetchConcurrency: 4 });
    const urls = [1, 2, 3].map((n) => server.url(`/crawl-delay/${n}`));
    for (const url of urls) await enqueueFetch(producer.fetch, url);
    await allCompleted(producer, urls);
    for (const gap of gaps(server.seen)) expect(gap).toBeGreaterThanOrEqual(600);
  });
});

describe('per-host politeness on Redis', () => {
  it('keeps 6 URLs of one host 300 ms apart and one at a time, across two worker processes', async () => {
    const server = await site({ latencyMs: 100 });
    const { producer } = await setUp({ processes: 2, fetchConcurrency: 4, hostConcurrency: 1, hostDelayMs: 300 });
    const urls = [1, 2, 3, 4, 5, 6].map((n) => server.url(`/one-host/${n}`));
    for (const url of urls) await enqueueFetch(producer.fetch, url);

    await allCompleted(producer, urls);

    expect(server.seen).toHaveLength(6);
    expect(server.maxInFlight).toBe(1);
    for (const gap of gaps(server.seen)) expect(gap).toBeGreaterThanOrEqual(300);
  });

  it('fetches 6 URLs over 3 hosts (127.0.0.1 on 3 ports) in parallel, each host still paced', async () => {
    const servers = [await site({ latencyMs: 150 }), await site({ latencyMs: 150 }), await site({ latencyMs: 150 })];
    const { producer } = await setUp({ fetchConcurrency: 4, hostConcurrency: 1, hostDelayMs: 300 });
    const urls = servers.flatMap((server) => [server.url('/a'), server.url('/b')]);
    for (const url of urls) await enqueueFetch(producer.fetch, url);

    await allCompleted(producer, urls);

    const all = servers.flatMap((server) => server.seen);
    expect(all).toHaveLength(6);
    for (const server of servers) {
      expect(server.maxInFlight).toBe(1);
      for (const gap of gaps(server.seen)) expect(gap).toBeGreaterThanOrEqual(300);
    }
    // The three hosts do not wait for each other: their first fetches overlap in time.
    const firsts = servers.map((server) => [...server.seen].sort((a, b) => a.start - b.start)[0]);
    const latestFirstStart = Math.max(...firsts.map((request) => request.start));
    const earliestFirstEnd = Math.min(...firsts.map((request) => request.end));
    expect(latestFirstStart).toBeLessThan(earliestFirstEnd);
    // One host alone would need 5 gaps of at least 300 + 150 ms; three in parallel need 1.
    const span = Math.max(...all.map((request) => request.end)) - Math.min(...all.map((request) => request.start));
    expect(span).toBeLessThan(5 * 450);
  });

  it('lets a lease expire, so a crashed worker cannot hold a host forever', async () => {
    const connection = new Redis(redis.url);
    try {
      const politeness = new HostPoliteness({ connection, prefix: testPrefix(), concurrency: 1, delayMs: 0, leaseMs: 300 });
      const host = hostKey('http://Example.com/a')!;
      expect(host).toBe('example.com:80');
      expect(hostKey('https://example.com:8443/')).toBe('example.com:8443');
      const first = await politeness.acquire(host);
      expect(first.acquired).toBe(true);
      // The holder "crashes": it never releases.
      const blocked = await politeness.acquire(host);
      expect(blocked.acquired).toBe(false);
      if (!blocked.acquired) expect(blocked.waitMs).toBeLessThanOrEqual(300);
      await new Promise((done) => setTimeout(done, 350));
      const after = await politeness.acquire(host);
      expect(after.acquired).toBe(true);
      if (after.acquired) await after.release();
      // Released: free again at once (no delay configured).
      expect((await politeness.acquire(host)).acquired).toBe(true);
    } finally {
      connection.disconnect();
    }
  });
});
