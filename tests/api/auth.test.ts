import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { AUTH, openApi, TOKEN, type ApiFixture } from './helpers.js';

let redis: TestRedis;
let api: ApiFixture;

beforeAll(async () => {
  redis = await startRedis();
  api = await openApi(redis.url);
});

afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

/** Every authenticated route, with a body where one is needed. */
const ROUTES = [
  { method: 'POST', url: '/v1/pages', payload: { url: 'https://example.com/a' } },
  { method: 'GET', url: '/v1/pages/u-0000' },
  { method: 'GET', url: '/v1/articles' },
  { method: 'GET', url: '/v1/articles/some-id' },
  { method: 'GET', url: '/v1/openapi.json' },
  { method: 'GET', url: '/v1/no-such-route' },
] as const;

describe('API authentication', () => {
  for (const route of ROUTES) {
    it(`answers 401 to ${route.method} ${route.url} without a token, with a wrong one, or with a malformed header`, async () => {
      const wrongSameLength = `${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}`;
      for (const headers of [
        {},
        { authorization: 'Bearer wrong' },
        { authorization: `Bearer ${wrongSameLength}` },
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: TOKEN },
        { authorization: `Basic ${TOKEN}` },
      ]) {
        const response = await api.app.inject({ method: route.method, url: route.url, headers, ...('payload' in route ? { payload: route.payload } : {}) });
        expect(response.statusCode, JSON.stringify(headers)).toBe(401);
        expect(response.json()).toMatchObject({ statusCode: 401, code: 'WINNOW_ERR_UNAUTHORIZED' });
        expect(response.headers['www-authenticate']).toBe('Bearer');
        expect(response.body).not.toContain(TOKEN);
      }
    });
  }

  it('lets the right token through (any case of "Bearer")', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v1/articles', headers: { authorization: `bearer ${TOKEN}` } });
    expect(response.statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/v1/articles', headers: AUTH })).statusCode).toBe(200);
  });

  it('serves /healthz without a token', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true, redis: 'up' });
  });

  it('refuses to build with a token under 32 characters', async () => {
    await expect(buildApp({ store: api.store, queues: api.queues, token: 'x'.repeat(31) })).rejects.toThrow(/at least 32 characters/);
    await expect(buildApp({ store: api.store, queues: api.queues, token: '' })).rejects.toThrow(/at least 32 characters/);
  });

  it('serves a valid OpenAPI description with every path', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v1/openapi.json', headers: AUTH });
    expect(response.statusCode).toBe(200);
    const doc = JSON.parse(response.body) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(expect.arrayContaining(['/healthz', '/v1/articles', '/v1/articles/{id}', '/v1/pages', '/v1/pages/{id}']));
    // Every documented path is a JSON API route; the review page's static files are not part of it.
    expect(paths.filter((path) => !path.startsWith('/v1/') && path !== '/healthz')).toEqual([]);
    expect(doc.paths['/v1/pages']).toHaveProperty('post');
    expect(doc.paths['/v1/pages/{id}']).toHaveProperty('get');
    expect(doc.components).toHaveProperty('securitySchemes.bearerAuth');
  });
});
