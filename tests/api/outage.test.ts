import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { AUTH, openApi, type ApiFixture } from './helpers.js';

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

describe('API with Redis down', () => {
  it('answers 503 at once to submissions, and /healthz reports redis down', async () => {
    const before = await api.app.inject({ method: 'POST', url: '/v1/pages', headers: AUTH, payload: { url: 'https://a.example/before' } });
    expect(before.statusCode).toBe(202);

    await redis.stop();
    for (const payload of [{ url: 'https://a.example/1' }, { url: 'https://a.example/2', html: '<p>x</p>' }, { pages: [{ url: 'https://a.example/3' }] }]) {
      const started = Date.now();
      const response = await api.app.inject({ method: 'POST', url: '/v1/pages', headers: AUTH, payload });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 'WINNOW_ERR_QUEUE_UNAVAILABLE' });
    }
    // Nothing was stored for the HTML submission that could not be queued.
    const probe = await api.store.putPage({ url: 'https://a.example/2', source: 'api', raw: Buffer.from('<p>x</p>', 'utf8') });
    expect(probe.created).toBe(true);

    const started = Date.now();
    const status = await api.app.inject({ method: 'GET', url: '/v1/pages/u-abc', headers: AUTH });
    expect(status.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);

    const health = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ ok: true, redis: 'down' });
  });
});
