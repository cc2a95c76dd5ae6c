import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StartWorkersOptions } from '../../workers/main.js';
import { hostKey, HostPoliteness } from '../../workers/politeness.js';
import { enqueueFetch, fetchJobId } from '../../workers/queues.js';
import { startQueueEnv, testPrefix, until, type Producer, type QueueEnv, type QueueRig } from './harness.js';
import { siteGroup, type Seen } from './site-server.js';

let env: QueueEnv;
const sites = siteGroup();

beforeAll(async () => {
  env = await startQueueEnv('winnow-polite-');
}, 60_000);

afterEach(async () => {
  await env?.closeRigs();
  await sites.closeAll();
});

afterAll(() => env?.close());

/** A producer, a results store and `processes` fetch-only worker "processes" (each its own connections), all on a fresh prefix. */
async function setUp(options: Partial<StartWorkersOptions> & { processes?: number } = {}): Promise<QueueRig> {
  const rig = await env.openRig();
  const { processes = 1, ...rest } = options;
  for (let i = 0; i < processes; i++) await rig.startWorkers({ stages: ['fetch'], ...rest });
  return rig;
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
    const server = await sites.start({}, { robots: 'User-agent: *\nDisallow: /private\n' });
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
    const server = await sites.start({}, { robots: 'User-agent: *\nDisallow: /\n' });
    const { producer } = await setUp({ hostDelayMs: 0, respectRobots: false });
    const url = server.url('/private/report');
    await enqueueFetch(producer.fetch, url);
    await allCompleted(producer, [url]);
    expect(server.seen.map((request) => request.path)).toEqual(['/private/report']);
  });

  it('spaces fetches by a Crawl-delay larger than the host delay', async () => {
    const server = await sites.start({}, { robots: 'User-agent: *\nCrawl-delay: 0.6\n' });
    const { producer } = await setUp({ hostDelayMs: 0, fetchConcurrency: 4 });
    const urls = [1, 2, 3].map((n) => server.url(`/crawl-delay/${n}`));
    for (const url of urls) await enqueueFetch(producer.fetch, url);
    await allCompleted(producer, urls);
    for (const gap of gaps(server.seen)) expect(gap).toBeGreaterThanOrEqual(600);
  });
});

describe('per-host politeness on Redis', () => {
  it('keeps 6 URLs of one host 300 ms apart and one at a time, across two worker processes', async () => {
    const server = await sites.start({}, { latencyMs: 100 });
    const { producer } = await setUp({ processes: 2, fetchConcurrency: 4, hostConcurrency: 1, hostDelayMs: 300 });
    const urls = [1, 2, 3, 4, 5, 6].map((n) => server.url(`/one-host/${n}`));
    for (const url of urls) await enqueueFetch(producer.fetch, url);

    await allCompleted(producer, urls);

    expect(server.seen).toHaveLength(6);
    expect(server.maxInFlight).toBe(1);
    for (const gap of gaps(server.seen)) expect(gap).toBeGreaterThanOrEqual(300);
  });

  it('fetches 6 URLs over 3 hosts (127.0.0.1 on 3 ports) in parallel, each host still paced', async () => {
    const servers = [await sites.start({}, { latencyMs: 150 }), await sites.start({}, { latencyMs: 150 }), await sites.start({}, { latencyMs: 150 })];
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
    const connection = new Redis(env.redis.url);
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
