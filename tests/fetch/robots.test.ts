import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchPage } from '../../src/fetch/fetch-page.js';
import { MAX_CRAWL_DELAY_MS, RobotsCache, ROBOTS_MAX_BYTES } from '../../src/fetch/robots.js';
import { fakeLookup, guardNetwork, page, redirect, rejection, startServer, type TestServer } from './helpers.js';

const allowPrivate = ['127.0.0.1'];
const text = (body: string, status = 200): ReturnType<typeof page> => page(body, { 'content-type': 'text/plain' }, status);
let server: TestServer;

beforeAll(() => {
  guardNetwork();
});

afterEach(async () => {
  await server?.close();
});

function cache(options: ConstructorParameters<typeof RobotsCache>[0] = {}): RobotsCache {
  return new RobotsCache({ ...options, fetch: { allowPrivate, totalTimeoutMs: 2000, ...options.fetch } });
}

describe('RobotsCache with fetchPage', () => {
  it('refuses a disallowed path with robots_disallowed and never requests it', async () => {
    server = await startServer({
      '/robots.txt': text('User-agent: *\nDisallow: /private\n'),
      '/private/page': page('<p>secret</p>'),
      '/public': page('<p>hello</p>'),
    });
    const robots = cache();
    const error = await rejection(fetchPage(server.url('/private/page'), { allowPrivate, robots }));
    expect(error).toMatchObject({ code: 'robots_disallowed', retryable: false });
    await expect(fetchPage(server.url('/public'), { allowPrivate, robots })).resolves.toMatchObject({ status: 200 });
    expect(server.paths).toEqual(['/robots.txt', '/public']);
  });

  it('checks every redirect hop against robots.txt', async () => {
    server = await startServer({
      '/robots.txt': text('User-agent: *\nDisallow: /private\n'),
      '/go': redirect('/private/x'),
    });
    const error = await rejection(fetchPage(server.url('/go'), { allowPrivate, robots: cache() }));
    expect(error).toMatchObject({ code: 'robots_disallowed' });
    expect(server.paths).toEqual(['/robots.txt', '/go']);
  });
});

describe('RobotsCache', () => {
  it('matches the group for our product token before the * group', async () => {
    server = await startServer({ '/robots.txt': text('User-agent: *\nAllow: /\n\nUser-agent: winnow\nDisallow: /\n') });
    const robots = cache();
    expect(await robots.isAllowed(server.url('/a'), 'winnow/0.1.0 (+https://github.com/winnow; content moderation)')).toBe(false);
    expect(await robots.isAllowed(server.url('/a'), 'otherbot/1.0')).toBe(true);
  });

  it('a 404 robots.txt allows everything', async () => {
    server = await startServer({});
    expect(await cache().isAllowed(server.url('/anything'))).toBe(true);
  });

  it('a 403 robots.txt allows everything (4xx is "unavailable")', async () => {
    server = await startServer({ '/robots.txt': text('nope', 403) });
    expect(await cache().isAllowed(server.url('/anything'))).toBe(true);
  });

  it('a 500 robots.txt disallows everything', async () => {
    server = await startServer({ '/robots.txt': text('oops', 500) });
    expect(await cache().isAllowed(server.url('/anything'))).toBe(false);
  });

  it('a 429 robots.txt disallows everything', async () => {
    server = await startServer({ '/robots.txt': text('slow', 429) });
    expect(await cache().isAllowed(server.url('/'))).toBe(false);
  });

  it('a network error disallows everything', async () => {
    server = await startServer({});
    const gone = server.url('/page');
    await server.close();
    expect(await cache().isAllowed(gone)).toBe(false);
  });

  it('a hanging robots.txt disallows everything once it times out', async () => {
    server = await startServer({ '/robots.txt': () => undefined });
    expect(await cache({ fetch: { totalTimeoutMs: 200 } }).isAllowed(server.url('/'))).toBe(false);
  });

  it('an empty robots.txt allows everything', async () => {
    server = await startServer({ '/robots.txt': text('') });
    expect(await cache().isAllowed(server.url('/x'))).toBe(true);
  });

  it('follows redirects for robots.txt', async () => {
    server = await startServer({ '/robots.txt': redirect('/real-robots.txt'), '/real-robots.txt': text('User-agent: *\nDisallow: /\n') });
    expect(await cache().isAllowed(server.url('/x'))).toBe(false);
  });

  it('parses Crawl-delay and caps it at 30 s', async () => {
    server = await startServer({ '/robots.txt': text('User-agent: *\nCrawl-delay: 2.5\n\nUser-agent: winnow\nCrawl-delay: 120\n') });
    const robots = cache();
    expect(await robots.crawlDelayMs(server.url('/'), 'otherbot')).toBe(2500);
    expect(await robots.crawlDelayMs(server.url('/'), 'winnow/1.0')).toBe(MAX_CRAWL_DELAY_MS);
    expect(MAX_CRAWL_DELAY_MS).toBe(30_000);
  });

  it('has no crawl delay when none is set or robots.txt is missing', async () => {
    server = await startServer({ '/robots.txt': text('User-agent: *\nDisallow: /x\n') });
    expect(await cache().crawlDelayMs(server.url('/'))).toBeUndefined();
    await server.close();
    server = await startServer({});
    expect(await cache().crawlDelayMs(server.url('/'))).toBeUndefined();
  });

  it('fetches robots.txt once per origin within the TTL, shared by concurrent callers', async () => {
    server = await startServer({ '/robots.txt': text('User-agent: *\nDisallow: /no\n') });
    let now = 1_000_000;
    const robots = cache({ now: () => now, ttlMs: 60_000 });
    const answers = await Promise.all([robots.isAllowed(server.url('/a')), robots.isAllowed(server.url('/no')), robots.crawlDelayMs(server.url('/'))]);
    expect(answers).toEqual([true, false, undefined]);
    expect(server.paths).toEqual(['/robots.txt']);
    now += 59_000;
    await robots.isAllowed(server.url('/b'));
    expect(server.paths).toEqual(['/robots.txt']);
    now += 2_000;
    await robots.isAllowed(server.url('/b'));
    expect(server.paths).toEqual(['/robots.txt', '/robots.txt']);
  });

  it('retries an unreachable robots.txt sooner than a fetched one', async () => {
    let status = 503;
    server = await startServer({ '/robots.txt': (_request, response) => response.writeHead(status, { 'content-type': 'text/plain' }).end('') });
    let now = 0;
    const robots = cache({ now: () => now, errorTtlMs: 1000 });
    expect(await robots.isAllowed(server.url('/'))).toBe(false);
    status = 404;
    now += 1001;
    expect(await robots.isAllowed(server.url('/'))).toBe(true);
  });

  it('keeps at most maxEntries origins', async () => {
    server = await startServer({ '/robots.txt': text('') });
    const lookup = fakeLookup({ 'a.test': ['127.0.0.1'], 'b.test': ['127.0.0.1'], 'c.test': ['127.0.0.1'] });
    const robots = cache({ maxEntries: 2, fetch: { lookup } });
    for (const host of ['a.test', 'b.test', 'c.test', 'a.test']) await robots.isAllowed(`http://${host}:${server.port}/`);
    expect(server.paths).toHaveLength(4);
    expect(robots.size).toBe(2);
  });

  it(`reads only the first ${ROBOTS_MAX_BYTES / 1024} KiB of a huge robots.txt`, async () => {
    const filler = `# ${'x'.repeat(98)}\n`.repeat(Math.ceil((ROBOTS_MAX_BYTES + 10_000) / 101));
    server = await startServer({ '/robots.txt': text(`User-agent: *\nDisallow: /early\n${filler}Disallow: /late\n`) });
    const robots = cache();
    expect(await robots.isAllowed(server.url('/early'))).toBe(false);
    expect(await robots.isAllowed(server.url('/late'))).toBe(true);
  });

  it('rejects a URL that is not absolute', async () => {
    expect(await rejection(cache().isAllowed('/relative'))).toMatchObject({ code: 'bad_url' });
  });
});
