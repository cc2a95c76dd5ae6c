import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { WorkersHandle } from '../../workers/main.js';
import { enqueueFetch, fetchJobId, MODERATE_QUEUE, REPROCESS_QUEUE } from '../../workers/queues.js';
import { buildDist, ROOT, startQueueEnv, until, type Producer, type QueueEnv } from './harness.js';
import { htmlPage, siteGroup } from './site-server.js';

/** The worker settings this file covers: env var → config field. */
const SETTINGS = {
  WINNOW_LOCK_MS: 'lockDurationMs',
  WINNOW_STALLED_INTERVAL_MS: 'stalledIntervalMs',
  WINNOW_MAX_STALLED_COUNT: 'maxStalledCount',
  WINNOW_FETCH_CONNECT_TIMEOUT_MS: 'fetchConnectTimeoutMs',
  WINNOW_FETCH_TIMEOUT_MS: 'fetchTimeoutMs',
  WINNOW_FETCH_MAX_BYTES: 'fetchMaxBytes',
  WINNOW_MAX_RETRY_AFTER_MS: 'maxRetryAfterMs',
  WINNOW_FETCH_CONCURRENCY: 'fetchConcurrency',
  WINNOW_MODERATE_CONCURRENCY: 'moderateConcurrency',
  WINNOW_JOB_TIMEOUT_MS: 'jobTimeoutMs',
} as const;

describe('worker settings from the environment', () => {
  it('defaults to bullmq\'s lock and stall figures and the fetcher\'s limits', () => {
    expect(loadConfig({})).toMatchObject({
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      maxStalledCount: 1,
      fetchConnectTimeoutMs: 10_000,
      fetchTimeoutMs: 30_000,
      fetchMaxBytes: 10 * 1024 * 1024,
      maxRetryAfterMs: 3_600_000,
      fetchConcurrency: 8,
      jobTimeoutMs: 60_000,
    });
  });

  it('reads every setting from its variable', () => {
    const env = Object.fromEntries(Object.keys(SETTINGS).map((name, i) => [name, String(1000 + i)]));
    const config = loadConfig(env);
    for (const [name, field] of Object.entries(SETTINGS)) expect(config[field], name).toBe(Number(env[name]));
    // 0 is a meaningful stall count (fail on the first stall) and a meaningful Retry-After limit (never wait).
    expect(loadConfig({ WINNOW_MAX_STALLED_COUNT: '0', WINNOW_MAX_RETRY_AFTER_MS: '0' })).toMatchObject({ maxStalledCount: 0, maxRetryAfterMs: 0 });
  });

  for (const name of Object.keys(SETTINGS)) {
    it(`refuses a ${name} that is not a number, with a message naming it`, () => {
      for (const value of ['abc', '10s', '1.5', '-1', 'NaN']) {
        expect(() => loadConfig({ [name]: value }), value).toThrow(new RegExp(`^${name} must be a whole number >= [01], not "${value.replace('.', '\\.')}"$`));
      }
    });
  }

  it('stops `winnow worker` at start-up with that message', () => {
    buildDist();
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'worker'], {
      env: { ...process.env, WINNOW_STALLED_INTERVAL_MS: 'soon', REDIS_URL: 'redis://127.0.0.1:1' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('WINNOW_STALLED_INTERVAL_MS must be a whole number >= 1, not "soon"');
  }, 120_000);
});

describe('worker settings reach the workers', () => {
  let env: QueueEnv;
  const sites = siteGroup();
  /** Variables a test set, to unset afterwards. */
  const set: string[] = [];

  beforeAll(async () => {
    env = await startQueueEnv('winnow-settings-');
  }, 60_000);

  afterEach(async () => {
    for (const name of set.splice(0)) delete process.env[name];
    await env?.closeRigs();
    await sites.closeAll();
  });

  afterAll(() => env?.close());

  /** Set `variables` for this test, then start workers of `stages` (which read them) on a fresh prefix. */
  async function start(variables: Record<string, string>, stages: ('fetch' | 'moderate')[]): Promise<{ producer: Producer; workers: WorkersHandle }> {
    for (const [name, value] of Object.entries(variables)) {
      expect(process.env[name], `${name} is set outside the test`).toBeUndefined();
      process.env[name] = value;
      set.push(name);
    }
    const rig = await env.openRig();
    return { producer: rig.producer, workers: await rig.startWorkers({ stages }) };
  }

  it('gives every worker the lock, stall and concurrency settings', async () => {
    const { workers } = await start({ WINNOW_LOCK_MS: '4000', WINNOW_STALLED_INTERVAL_MS: '2500', WINNOW_MAX_STALLED_COUNT: '3', WINNOW_FETCH_CONCURRENCY: '5', WINNOW_MODERATE_CONCURRENCY: '1' }, ['fetch', 'moderate']);
    const byName = new Map(workers!.workers.map((worker) => [worker.name, worker]));
    expect([...byName.keys()].sort()).toEqual(['fetch', MODERATE_QUEUE, REPROCESS_QUEUE].sort());
    for (const worker of workers!.workers) {
      expect(worker.opts, worker.name).toMatchObject({ lockDuration: 4000, lockRenewTime: 2000, stalledInterval: 2500, maxStalledCount: 3 });
    }
    expect(byName.get('fetch')!.concurrency).toBe(5);
    expect(byName.get(MODERATE_QUEUE)!.concurrency).toBe(1);
    expect(byName.get(REPROCESS_QUEUE)!.concurrency).toBe(1);
  });

  it('limits fetches by WINNOW_FETCH_MAX_BYTES and WINNOW_FETCH_TIMEOUT_MS', async () => {
    const site = await sites.start({
      '/big': (response) => response.writeHead(200, { 'content-type': 'text/html' }).end(`<p>${'x'.repeat(5000)}</p>`),
      '/slow': htmlPage(3000),
      '/small': htmlPage(),
    });
    const { producer } = await start({ WINNOW_FETCH_MAX_BYTES: '2000', WINNOW_FETCH_TIMEOUT_MS: '500' }, ['fetch']);
    for (const path of ['/big', '/slow', '/small']) await enqueueFetch(producer.fetch, site.url(path));

    await until('the big page to fail and the small one to complete', async () => {
      const big = await producer.fetch.getJobState(fetchJobId(site!.url('/big')));
      const small = await producer.fetch.getJobState(fetchJobId(site!.url('/small')));
      const slow = await producer.fetch.getJob(fetchJobId(site!.url('/slow')));
      return big === 'failed' && small === 'completed' && (slow?.attemptsMade ?? 0) >= 1;
    });

    expect((await producer.fetch.getJob(fetchJobId(site.url('/big'))))!.failedReason).toMatch(/^too_large: /);
    expect((await producer.fetch.getJob(fetchJobId(site.url('/slow'))))!.failedReason).toBe('no complete response within 500 ms');
  });
});
