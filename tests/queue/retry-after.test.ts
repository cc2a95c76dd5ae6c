import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RETRY_AFTER_BACKOFF } from '../../workers/backoff.js';
import type { StartWorkersOptions } from '../../workers/main.js';
import { enqueueFetch, fetchJobId } from '../../workers/queues.js';
import { startQueueEnv, until, type QueueEnv, type QueueRig } from './harness.js';
import { htmlPage, siteGroup, type Route, type Site } from './site-server.js';

/**
 * Backoff of 50 ms between attempts: a retry that waits seconds can only be waiting for the
 * Retry-After header.
 */
const SHORT_BACKOFF = { attempts: 3, backoff: { type: RETRY_AFTER_BACKOFF, delay: 50 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };

let env: QueueEnv;
const sites = siteGroup();

beforeAll(async () => {
  env = await startQueueEnv('winnow-retry-after-');
}, 60_000);

afterEach(async () => {
  await env?.closeRigs();
  await sites.closeAll();
});

afterAll(() => env?.close());

/** Answers `status` with `retryAfter` the first time, then the page. */
function busyOnce(status: number, retryAfter: () => string): Route {
  return (response, n, request) => {
    if (n === 1) response.writeHead(status, { 'retry-after': retryAfter(), 'content-type': 'text/plain' }).end('busy');
    else htmlPage()(response, n, request);
  };
}

/** A producer (retries after 50 ms) and a results store on a fresh prefix, and a fetch-stage worker there. */
async function setUp(options: Partial<StartWorkersOptions> = {}): Promise<QueueRig> {
  const rig = await env.openRig({ jobOptions: SHORT_BACKOFF });
  await rig.startWorkers({ stages: ['fetch'], ...options });
  return rig;
}

function startsOf(server: Site, path: string): number[] {
  return server.seen.filter((request) => request.path === path).map((request) => request.start);
}

describe('Retry-After on 429 and 503', () => {
  it('starts the second attempt after a 429 no earlier than its Retry-After: 2 (seconds)', async () => {
    const server = await sites.start({ '/busy': busyOnce(429, () => '2') });
    const { producer } = await setUp();
    const url = server.url('/busy');
    await enqueueFetch(producer.fetch, url);

    await until('the fetch job to complete', async () => (await producer.fetch.getCompletedCount()) === 1, 15_000);

    const job = await producer.fetch.getJob(fetchJobId(url));
    expect(job!.attemptsMade).toBe(2);
    const [first, second] = startsOf(server, '/busy');
    expect(second - first).toBeGreaterThanOrEqual(2000);
    // The 50 ms backoff was not used, and the wait was not much longer than asked.
    expect(second - first).toBeLessThan(4000);
  });

  it('takes Retry-After as an HTTP date on a 503', async () => {
    // HTTP dates have whole seconds: 3 s ahead is 2 to 3 s away once truncated.
    const server = await sites.start({ '/unavailable': busyOnce(503, () => new Date(Date.now() + 3000).toUTCString()) });
    const { producer } = await setUp();
    await enqueueFetch(producer.fetch, server.url('/unavailable'));

    await until('the fetch job to complete', async () => (await producer.fetch.getCompletedCount()) === 1, 15_000);

    const [first, second] = startsOf(server, '/unavailable');
    expect(second - first).toBeGreaterThanOrEqual(1900);
  });

  it('keeps the whole host quiet for the Retry-After, not only the job that got it', async () => {
    const server = await sites.start({ '/busy': busyOnce(429, () => '2') });
    const { producer } = await setUp();
    await enqueueFetch(producer.fetch, server.url('/busy'));
    await until('the first 429', () => startsOf(server, '/busy').length === 1);
    await enqueueFetch(producer.fetch, server.url('/other'));

    await until('both fetch jobs to complete', async () => (await producer.fetch.getCompletedCount()) === 2, 15_000);

    const [busy] = startsOf(server, '/busy');
    const [other] = startsOf(server, '/other');
    expect(other - busy).toBeGreaterThanOrEqual(2000);
  });

  it('fails at once with http_error, naming the header, when Retry-After is over the limit', async () => {
    const server = await sites.start({ '/later': (response) => response.writeHead(429, { 'retry-after': '7200' }).end() });
    const { producer, store } = await setUp();
    const url = server.url('/later');
    await enqueueFetch(producer.fetch, url);

    await until('the fetch job to fail', async () => (await producer.fetch.getFailedCount()) === 1);

    const job = await producer.fetch.getJob(fetchJobId(url));
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toBe('http_error: HTTP 429 with Retry-After: 7200 (7200 s, over the 3600 s limit)');
    expect(startsOf(server, '/later')).toHaveLength(1);
    const [failure] = await store.listFailures();
    expect(failure).toMatchObject({ url, errorCode: 'http_error' });
    expect(failure.errorMessage).toContain('Retry-After: 7200');
  });

  it('honours a lower limit set with maxRetryAfterMs (WINNOW_MAX_RETRY_AFTER_MS)', async () => {
    const server = await sites.start({ '/busy': busyOnce(503, () => '2') });
    const { producer } = await setUp({ maxRetryAfterMs: 1000 });
    const url = server.url('/busy');
    await enqueueFetch(producer.fetch, url);

    await until('the fetch job to fail', async () => (await producer.fetch.getFailedCount()) === 1);

    const job = await producer.fetch.getJob(fetchJobId(url));
    expect(job!.failedReason).toMatch(/^http_error: HTTP 503 with Retry-After: 2 \(2 s, over the 1 s limit\)$/);
  });
});
