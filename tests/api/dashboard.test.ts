import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ApiQueues } from '../../src/api/app.js';
import { DASHBOARD_PATH, SESSION_COOKIE } from '../../src/api/dashboard.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import {
  createProducerConnection,
  createQueues,
  createReprocessQueue,
  enqueueFetch,
  waitForReady,
  type ReprocessJobData,
  type ReprocessJobResult,
} from '../../workers/queues.js';
import { launchChromium } from '../helpers/chromium.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { AUTH, TOKEN } from './helpers.js';

let redis: TestRedis;
let dir: string;
let store: Store;
let connection: Redis;
let queues: ApiQueues;
let reprocess: Queue<ReprocessJobData, ReprocessJobResult>;
let app: FastifyInstance;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'winnow-dashboard-'));
  store = await openStore({ sqlitePath: join(dir, 'winnow.db'), databaseUrl: '' });
  connection = createProducerConnection(redis.url);
  connection.on('error', () => undefined);
  await waitForReady(connection);
  const prefix = `{t-${randomUUID().slice(0, 8)}}`;
  queues = createQueues(connection, { prefix });
  reprocess = createReprocessQueue(connection, { prefix });
  app = await buildApp({ store, queues, token: TOKEN, reprocessQueue: reprocess, fixturesDir: join(dir, 'fixtures'), modelDir: join(dir, 'models') });
  await app.ready();
  await enqueueFetch(queues.fetch, 'https://example.com/waiting');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([queues?.fetch.close(), queues?.moderate.close(), reprocess?.close()]);
  await connection?.quit().catch(() => connection.disconnect());
  await store?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A session cookie as the server would make it, keyed with `key`, expiring at `expires` (s). */
function forgedSession(key: string, expires: number): string {
  const mac = createHmac('sha256', key).update(`${SESSION_COOKIE}\n${expires}`).digest('base64url');
  return `${SESSION_COOKIE}=${expires}.${mac}`;
}

async function login(): Promise<{ cookie: string; setCookie: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: TOKEN }).toString(),
  });
  expect(response.statusCode).toBe(303);
  expect(response.headers.location).toBe(DASHBOARD_PATH);
  const setCookie = String(response.headers['set-cookie']);
  return { setCookie, cookie: setCookie.split(';')[0] };
}

const PROTECTED = [
  { method: 'GET', url: DASHBOARD_PATH },
  { method: 'GET', url: `${DASHBOARD_PATH}/queue/fetch` },
  { method: 'GET', url: `${DASHBOARD_PATH}/api/queues` },
  { method: 'GET', url: `${DASHBOARD_PATH}/api/redis/stats` },
  { method: 'PUT', url: `${DASHBOARD_PATH}/api/queues/fetch/pause` },
  { method: 'PUT', url: `${DASHBOARD_PATH}/api/queues/fetch/retry/failed` },
] as const;

describe('queue dashboard (bull-board) at /admin/queues', () => {
  it('answers 401 without the token, with a wrong one, and with a forged or expired session', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const route of PROTECTED) {
      for (const headers of [
        {},
        { authorization: 'Bearer wrong' },
        { authorization: `Bearer ${TOKEN}x` },
        { cookie: `${SESSION_COOKIE}=${TOKEN}` },
        { cookie: forgedSession('another token of at least thirty-two characters', now + 3600) },
        { cookie: forgedSession(TOKEN, now - 1) },
        { cookie: `${SESSION_COOKIE}=${now + 3600}.${'A'.repeat(43)}` },
      ]) {
        const response = await app.inject({ method: route.method, url: route.url, headers });
        expect(response.statusCode, `${route.method} ${route.url} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_UNAUTHORIZED' });
      }
    }
    // Nothing was paused by the refused requests.
    expect(await queues.fetch.isPaused()).toBe(false);
  });

  it('serves the dashboard page and its scripts with the bearer token', async () => {
    const page = await app.inject({ method: 'GET', url: DASHBOARD_PATH, headers: AUTH });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain(`<base href="${DASHBOARD_PATH}/"`);
    expect(page.body).toContain('winnow queues');
    // Scripts from this origin only; no inline script, no third-party font.
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    const script = /src="(static\/js\/main\.[\w.]+\.js)"/.exec(page.body)![1];
    expect((await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}/${script}` })).statusCode).toBe(401);
    const served = await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}/${script}`, headers: AUTH });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toMatch(/javascript/);
  });

  it('lists the fetch, moderate and reprocess queues with their counts through the JSON API', async () => {
    const response = await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}/api/queues?activeQueue=fetch&status=waiting&page=1&jobsPerPage=10`, headers: AUTH });
    expect(response.statusCode).toBe(200);
    const { queues: listed } = response.json() as { queues: { name: string; counts: Record<string, number>; jobs: { id: string; data: unknown }[] }[] };
    expect(listed.map((queue) => queue.name).sort()).toEqual(['fetch', 'moderate', 'reprocess']);
    const fetch = listed.find((queue) => queue.name === 'fetch')!;
    expect(fetch.counts.waiting).toBe(1);
    expect(fetch.jobs.map((job) => job.data)).toEqual([{ url: 'https://example.com/waiting' }]);
  });

  it('trades the token for a session cookie a browser keeps for /admin only', async () => {
    const form = await app.inject({ method: 'GET', url: '/admin/login' });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<form method="post" action="/admin/login">');

    const { cookie, setCookie } = await login();
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=\\d+\\.[\\w-]{43}; Max-Age=43200; Path=/admin; HttpOnly; Secure; SameSite=Strict$`));
    expect(setCookie).not.toContain(TOKEN);

    const listed = await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}/api/queues`, headers: { cookie } });
    expect(listed.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: DASHBOARD_PATH, headers: { cookie: `other=1; ${cookie}` } })).statusCode).toBe(200);
    // The session opens the dashboard, not the API.
    expect((await app.inject({ method: 'GET', url: '/v1/articles', headers: { cookie } })).statusCode).toBe(401);
  });

  it('takes the token as JSON too, refuses a wrong one without a cookie, and logs out', async () => {
    const json = await app.inject({ method: 'POST', url: '/admin/login', payload: { token: TOKEN } });
    expect(json.statusCode).toBe(303);
    expect(String(json.headers['set-cookie'])).toMatch(new RegExp(`^${SESSION_COOKIE}=\\d+\\.`));

    for (const payload of [{ token: 'wrong' }, { token: `${TOKEN} ` }, {}, { token: 42 }]) {
      const refused = await app.inject({ method: 'POST', url: '/admin/login', payload });
      expect(refused.statusCode, JSON.stringify(payload)).toBe(401);
      expect(refused.headers['set-cookie']).toBeUndefined();
    }

    const out = await app.inject({ method: 'POST', url: '/admin/logout' });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/admin/login');
    expect(out.headers['set-cookie']).toBe(`${SESSION_COOKIE}=; Max-Age=0; Path=/admin; HttpOnly; Secure; SameSite=Strict`);
  });

  it('lets a signed-in admin act on a queue (pause, resume)', async () => {
    const { cookie } = await login();
    const paused = await app.inject({ method: 'PUT', url: `${DASHBOARD_PATH}/api/queues/fetch/pause`, headers: { cookie } });
    expect(paused.statusCode).toBe(200);
    expect(await queues.fetch.isPaused()).toBe(true);
    const resumed = await app.inject({ method: 'PUT', url: `${DASHBOARD_PATH}/api/queues/fetch/resume`, headers: AUTH });
    expect(resumed.statusCode).toBe(200);
    expect(await queues.fetch.isPaused()).toBe(false);
  });

  it('works in a browser: the login form sets the cookie, and the page lists the queues under its CSP', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text()) && /script/i.test(message.text())) refused.push(message.text());
      });
      const before = await page.goto(`${address}${DASHBOARD_PATH}`);
      expect(before!.status()).toBe(401);

      await page.goto(`${address}/admin/login`);
      await page.fill('input[name=token]', TOKEN);
      await Promise.all([page.waitForURL(`${address}${DASHBOARD_PATH}`), page.click('button[type=submit]')]);
      for (const name of ['fetch', 'moderate', 'reprocess']) {
        await page.getByRole('link', { name, exact: true }).first().waitFor({ timeout: 20_000 });
      }
      expect(refused).toEqual([]);
      // The page's own PUT requests pass the cross-origin guard (the browser sends its real Origin).
      const pause = await page.evaluate(async () => (await fetch('api/queues/moderate/pause', { method: 'PUT' })).status);
      expect(pause).toBe(200);
      expect(await queues.moderate.isPaused()).toBe(true);
      await queues.moderate.resume();
      const cookies = await page.context().cookies();
      expect(cookies.map(({ name, path, httpOnly, sameSite }) => ({ name, path, httpOnly, sameSite }))).toEqual([
        { name: SESSION_COOKIE, path: '/admin', httpOnly: true, sameSite: 'Strict' },
      ]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
