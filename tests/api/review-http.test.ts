import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/storage/open-store.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ROOT } from '../queue/harness.js';
import { TOKEN } from './helpers.js';
import { SHIPPED_MODELS, storeFixturePage } from './review-support.js';

/** The review page's policy, directive by directive, as the page needs it and no looser. */
const REVIEW_PAGE_POLICY = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};
const API_POLICY = { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] };

let redis: TestRedis;
let server: RunningServer;
let dir: string;
let base: string;
let articleId: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'winnow-review-http-'));
  const databasePath = join(dir, 'winnow.db');
  const store = await openStore({ sqlitePath: databasePath, databaseUrl: '' });
  articleId = (await storeFixturePage(store, 'news-de-1', 'https://zeitung.example.de/politik/artikel')).id;
  await store.close();
  mkdirSync(join(dir, 'fixtures'));
  const config = loadConfig({ REDIS_URL: redis.url, WINNOW_DB: databasePath, WINNOW_API_TOKEN: TOKEN, WINNOW_API_PORT: '0' });
  server = await startServer({ config, databaseUrl: '', fixturesDir: join(dir, 'fixtures'), modelDir: SHIPPED_MODELS });
  base = server.address;
});

afterAll(async () => {
  await server?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A CSP header as directive → sources, for an exact comparison that ignores spacing. */
function parseCsp(header: string | null): Record<string, string[]> {
  expect(header).not.toBeNull();
  return Object.fromEntries(
    header!
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0] !== '')
      .map(([name, ...sources]) => [name, sources]),
  );
}

function expectCommonHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
}

/** GET with the path sent exactly as written (fetch would resolve `..` and re-encode). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the review page over HTTP', () => {
  it('serves the page shell without a token under the strict page policy', async () => {
    const response = await fetch(`${base}/review`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const csp = response.headers.get('content-security-policy');
    expect(parseCsp(csp)).toEqual(REVIEW_PAGE_POLICY);
    expect(csp).not.toMatch(/unsafe-|nonce-|sha\d+-|\*/);
    expect(response.headers.get('content-security-policy-report-only')).toBeNull();
    expectCommonHeaders(response.headers);
    const html = await response.text();
    expect(html).toBe(readFileSync(join(ROOT, 'src/review/ui/static/index.html'), 'utf8'));
    expect(html).not.toContain(TOKEN);
  });

  it('serves scripts, styles and DOMPurify as long-lived assets under the same policy', async () => {
    const purify = join(dirname(createRequire(import.meta.url).resolve('dompurify')), 'purify.es.mjs');
    const assets: [string, RegExp, string][] = [
      ['/review/assets/main.js', /javascript/, join(ROOT, 'dist/review-ui/main.js')],
      ['/review/assets/review.css', /^text\/css/, join(ROOT, 'src/review/ui/static/review.css')],
      ['/review/assets/purify.js', /javascript/, purify],
    ];
    for (const [path, type, file] of assets) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(type);
      expect(response.headers.get('cache-control'), path).toBe('public, max-age=3600, immutable');
      expect(parseCsp(response.headers.get('content-security-policy')), path).toEqual(REVIEW_PAGE_POLICY);
      expectCommonHeaders(response.headers);
      expect(await response.text(), path).toBe(readFileSync(file, 'utf8'));
    }
  });

  it('gives the JSON API the policy that loads nothing', async () => {
    const variants: Record<string, string>[] = [{ authorization: `Bearer ${TOKEN}` }, {}];
    for (const headers of variants) {
      const response = await fetch(`${base}/v1/review/stats`, { headers });
      expect(response.status).toBe(headers.authorization ? 200 : 401);
      expect(parseCsp(response.headers.get('content-security-policy'))).toEqual(API_POLICY);
      expectCommonHeaders(response.headers);
    }
  });

  it('never lists a directory or reads outside the asset folders', async () => {
    const secrets = [readFileSync(join(ROOT, 'package.json'), 'utf8').slice(0, 40), 'root:x:0:0'];
    const paths = [
      '/review/assets/',
      '/review/assets',
      '/review/',
      '/review/assets/../../package.json',
      '/review/assets/..%2F..%2F..%2Fpackage.json',
      '/review/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
      '/review/assets/%252e%252e%252fpackage.json',
      '/review/assets/..%5C..%5C..%5Cpackage.json',
      '/review/assets/main.js%00.css',
      '/review/assets/purify.js/../../../../package.json',
      '/review/assets/%2Fetc%2Fpasswd',
      '/review/assets/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/review/assets/index.html',
      '/review/assets/tsconfig.json',
    ];
    for (const path of paths) {
      const response = await rawGet(path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
      for (const secret of secrets) expect(response.body, path).not.toContain(secret);
      expect(response.body, path).not.toMatch(/main\.js.*review\.css|<ul>|Index of/s);
    }
  });
});

describe('cross-origin requests over HTTP', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const correction = async (origin: Record<string, string>) => {
    const { blocks } = await (await fetch(`${base}/v1/review/articles/${articleId}`, { headers: auth })).json();
    const { index, label } = blocks[0];
    return fetch(`${base}/v1/review/articles/${articleId}/corrections`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', ...origin },
      body: JSON.stringify({ reviewer: 'Ana', corrections: [{ blockIndex: index, label: label === 'promo' ? 'editorial' : 'promo', expected: label }] }),
    });
  };
  const corrections = async () => (await (await fetch(`${base}/v1/review/stats`, { headers: auth })).json()).corrections;

  it('refuses a POST whose Origin or Sec-Fetch-Site names another site', async () => {
    const foreign: Record<string, string>[] = [{ origin: 'https://evil.test' }, { origin: base.replace('127.0.0.1', 'localhost') }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of foreign) {
      const response = await correction(headers);
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'WINNOW_ERR_CROSS_ORIGIN' });
      expect(parseCsp(response.headers.get('content-security-policy'))).toEqual(API_POLICY);
    }
    expect(await corrections()).toBe(0);
  });

  it('lets a POST from the origin of the server itself through', async () => {
    const response = await correction({ origin: base, 'sec-fetch-site': 'same-origin' });
    expect(response.status).toBe(201);
    expect(await corrections()).toBe(1);
  });
});
