import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchPage } from '../../src/fetch/fetch-page.js';
import { HopDeferredError, HttpStatusError, TooManyRedirectsError } from '../../src/fetch/errors.js';
import { ALLOW_PRIVATE_ENV, type NextHop } from '../../src/fetch/options.js';
import { attempted, guardNetwork, page, redirect, rejection, startServer, type TestServer } from './helpers.js';

const allowPrivate = ['127.0.0.1'];
let server: TestServer;

beforeAll(() => {
  guardNetwork();
});

beforeEach(() => {
  delete process.env[ALLOW_PRIVATE_ENV];
  attempted.length = 0;
});

afterEach(async () => {
  await server?.close();
});

describe('fetchPage: beforeHop', () => {
  it('is called before every request, the first URL and each redirect target, with the redirects so far', async () => {
    server = await startServer({ '/a': redirect('/b'), '/b': redirect('/c'), '/c': page('<p>end</p>') });
    const hops: Omit<NextHop, 'signal'>[] = [];
    const fetched = await fetchPage(server.url('/a'), {
      allowPrivate,
      beforeHop: async ({ url, redirects }) => {
        // Called before the request: the server has seen one request per earlier hop.
        expect(server.paths).toHaveLength(hops.length);
        hops.push({ url, redirects });
      },
    });
    expect(fetched.url).toBe(server.url('/c'));
    expect(hops).toEqual([
      { url: server.url('/a'), redirects: [] },
      { url: server.url('/b'), redirects: [server.url('/a')] },
      { url: server.url('/c'), redirects: [server.url('/a'), server.url('/b')] },
    ]);
  });

  it('ends the fetch with what the hook threw, unchanged, before the hop is requested', async () => {
    server = await startServer({ '/a': redirect('/b'), '/b': page('<p>b</p>') });
    const error = await rejection(
      fetchPage(server.url('/a'), {
        allowPrivate,
        beforeHop: async ({ url, redirects }) => {
          if (url.endsWith('/b')) throw new HopDeferredError(url, 750, redirects);
        },
      }),
    );
    expect(error).toBeInstanceOf(HopDeferredError);
    expect(error).toMatchObject({ url: server.url('/b'), waitMs: 750, redirects: [server.url('/a')] });
    expect(server.paths).toEqual(['/a']);
  });

  it('counts redirectsFollowed against maxRedirects', async () => {
    server = await startServer({ '/a': redirect('/b'), '/b': redirect('/c'), '/c': page('<p>c</p>') });
    await expect(fetchPage(server.url('/a'), { allowPrivate, maxRedirects: 3, redirectsFollowed: 1 })).resolves.toMatchObject({ status: 200 });
    const error = await rejection(fetchPage(server.url('/a'), { allowPrivate, maxRedirects: 3, redirectsFollowed: 2 }));
    expect(error).toBeInstanceOf(TooManyRedirectsError);
    expect(error.message).toBe('more than 3 redirects');
    await expect(fetchPage(server.url('/a'), { allowPrivate, redirectsFollowed: -1 })).rejects.toThrow(RangeError);
  });
});

describe('fetchPage: Retry-After', () => {
  it('keeps the header as sent next to its value in ms on a 429', async () => {
    server = await startServer({ '/': page('slow down', { 'content-type': 'text/plain', 'retry-after': '120' }, 429) });
    const error = await rejection(fetchPage(server.url('/'), { allowPrivate }));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 120_000, retryAfter: '120' });
  });

  it('keeps no header when it cannot be read', async () => {
    server = await startServer({ '/': page('down', { 'content-type': 'text/plain', 'retry-after': 'soon' }, 503) });
    const error = await rejection(fetchPage(server.url('/'), { allowPrivate }));
    expect(error).toMatchObject({ status: 503, retryAfterMs: undefined, retryAfter: undefined });
  });
});
