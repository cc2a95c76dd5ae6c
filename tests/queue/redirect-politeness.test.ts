import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LookupFunction } from '../../src/fetch/options.js';
import type { StartWorkersOptions } from '../../workers/main.js';
import { hostKey, HostPoliteness } from '../../workers/politeness.js';
import { enqueueFetch, fetchJobId } from '../../workers/queues.js';
import { startQueueEnv, testPrefix, until, type QueueEnv, type QueueRig } from './harness.js';
import { siteGroup, type Route, type Site } from './site-server.js';

/** a.test and b.test are two sites on 127.0.0.1, so two politeness hosts (`a.test:<port>`, `b.test:<port>`). */
const lookup: LookupFunction = async (hostname) => {
  if (hostname === 'a.test' || hostname === 'b.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
};

let env: QueueEnv;
let connection: Redis | undefined;
const sites = siteGroup();

beforeAll(async () => {
  env = await startQueueEnv('winnow-redirect-');
}, 60_000);

afterEach(async () => {
  await env?.closeRigs();
  await sites.closeAll();
  connection?.disconnect();
  connection = undefined;
});

afterAll(() => env?.close());

/** b.test serves pages (after `bLatencyMs`); a.test redirects each `/to-b<x>` to b.test's `<x>`. */
async function twoSites(redirects: string[], bLatencyMs = 0): Promise<{ a: Site; b: Site; aUrl(path: string): string; bUrl(path: string): string }> {
  const b = await sites.start({}, { latencyMs: bLatencyMs });
  const bUrl = (path: string): string => `http://b.test:${b.port}${path}`;
  const routes = Object.fromEntries(
    redirects.map((path): [string, Route] => [`/to-b${path}`, (response) => response.writeHead(302, { location: bUrl(path) }).end()]),
  );
  const a = await sites.start(routes);
  return { a, b, aUrl: (path) => `http://a.test:${a.port}${path}`, bUrl };
}

/** A producer and a results store on `prefix`, and a fetch-stage worker there that takes one request per host at a time. */
async function setUp(prefix: string, options: Partial<StartWorkersOptions> = {}): Promise<QueueRig> {
  const rig = await env.openRig({ prefix });
  await rig.startWorkers({ stages: ['fetch'], fetchOptions: { allowPrivate: ['127.0.0.1'], lookup }, hostConcurrency: 1, ...options });
  return rig;
}

describe('per-host politeness on redirect hops', () => {
  it('puts a job back when a.test redirects to a busy b.test, holding nothing meanwhile, and resumes at b.test', async () => {
    const { a, b, aUrl, bUrl } = await twoSites(['/page']);
    const prefix = testPrefix();
    connection = new Redis(env.redis.url);
    // Another worker is fetching from b.test: its one slot is taken.
    const other = new HostPoliteness({ connection, prefix, concurrency: 1, delayMs: 0 });
    const bHost = hostKey(bUrl('/page'))!;
    const aHost = hostKey(aUrl('/'))!;
    expect(bHost).toBe(`b.test:${b.port}`);
    const busy = await other.acquire(bHost);
    expect(busy.acquired).toBe(true);
    const { producer, store } = await setUp(prefix);
    const url = aUrl('/to-b/page');
    await enqueueFetch(producer.fetch, url);

    await until('a.test to answer and the job to wait for b.test', async () => a.seen.length === 1 && (await producer.fetch.getJobState(fetchJobId(url))) === 'delayed');
    // a.test's lease went back while the job waits: other jobs of a.test are not held up.
    expect(await connection.zcard(`${prefix}:host:${aHost}:leases`)).toBe(0);
    await new Promise((done) => setTimeout(done, 1500));
    expect(b.seen).toHaveLength(0);
    const releasedAt = Date.now();
    if (busy.acquired) await busy.release();

    await until('the fetch job to complete', async () => (await producer.fetch.getCompletedCount()) === 1, 10_000);

    expect(b.seen.map((request) => request.path)).toEqual(['/page']);
    expect(b.seen[0].start).toBeGreaterThanOrEqual(releasedAt);
    // The next attempt started at the redirect target: a.test was asked once, however long b.test was busy.
    expect(a.seen.map((request) => request.path)).toEqual(['/to-b/page']);
    const job = await producer.fetch.getJob(fetchJobId(url));
    expect(job!.attemptsMade).toBe(1);
    expect(job!.data.resume).toEqual({ url: bUrl('/page'), redirects: 1 });
    const page = await store.getPage(job!.returnvalue.pageId);
    expect(page!.url).toBe(url);
  });

  it('takes the lease of the redirect target: b.test sees one request at a time from direct and redirected jobs', async () => {
    const { b, aUrl, bUrl } = await twoSites(['/x1', '/x2'], 200);
    const { producer } = await setUp(testPrefix(), { fetchConcurrency: 4 });
    const urls = [aUrl('/to-b/x1'), aUrl('/to-b/x2'), bUrl('/x3'), bUrl('/x4')];
    for (const url of urls) await enqueueFetch(producer.fetch, url);

    await until('4 fetch jobs completed', async () => (await producer.fetch.getCompletedCount()) === 4, 15_000);

    expect(b.seen.map((request) => request.path).sort()).toEqual(['/x1', '/x2', '/x3', '/x4']);
    expect(b.maxInFlight).toBe(1);
    expect(await producer.fetch.getFailedCount()).toBe(0);
  });

  it('counts redirects followed before a deferral against the redirect limit', async () => {
    // b.test/loop redirects once more, to a page.
    const b = await sites.start({ '/loop': (response) => response.writeHead(302, { location: '/loop2' }).end() });
    const bUrl = (path: string): string => `http://b.test:${b.port}${path}`;
    // a.test: /r1 → /r2 → /r3 → b.test/loop: three redirects before b.test.
    const a = await sites.start({
      '/r1': (response) => response.writeHead(302, { location: '/r2' }).end(),
      '/r2': (response) => response.writeHead(302, { location: '/r3' }).end(),
      '/r3': (response) => response.writeHead(302, { location: bUrl('/loop') }).end(),
    });
    const prefix = testPrefix();
    connection = new Redis(env.redis.url);
    const other = new HostPoliteness({ connection, prefix, concurrency: 1, delayMs: 0 });
    const busy = await other.acquire(hostKey(bUrl('/'))!);
    const { producer, store } = await setUp(prefix, { fetchOptions: { allowPrivate: ['127.0.0.1'], lookup, maxRedirects: 3 } });
    const url = `http://a.test:${a.port}/r1`;
    await enqueueFetch(producer.fetch, url);

    await until('the job to wait for b.test', async () => a.seen.length === 3 && (await producer.fetch.getJobState(fetchJobId(url))) === 'delayed');
    expect((await producer.fetch.getJob(fetchJobId(url)))!.data.resume).toEqual({ url: bUrl('/loop'), redirects: 3 });
    if (busy.acquired) await busy.release();
    await until('the fetch job to fail', async () => (await producer.fetch.getFailedCount()) === 1, 10_000);

    // b.test/loop's redirect is the 4th in all: over the limit of 3, although the attempt that
    // resumed at b.test followed none before it.
    const job = await producer.fetch.getJob(fetchJobId(url));
    expect(job!.failedReason).toMatch(/^too_many_redirects: more than 3 redirects$/);
    expect(b.seen.map((request) => request.path)).toEqual(['/loop']);
    const [failure] = await store.listFailures();
    expect(failure).toMatchObject({ url, errorCode: 'too_many_redirects' });
  });
});
