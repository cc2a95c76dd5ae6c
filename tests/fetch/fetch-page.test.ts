import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchPage } from '../../src/fetch/fetch-page.js';
import { FetchError, HttpStatusError } from '../../src/fetch/errors.js';
import { ALLOW_PRIVATE_ENV } from '../../src/fetch/options.js';
import { decodeHtml } from '../../src/input/decode.js';
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

describe('fetchPage: ordinary pages', () => {
  it('returns the raw bytes, content type and headers, and decodeHtml reads the charset from them', async () => {
    const latin1 = Buffer.from('<html><head><title>Caf\xe9</title></head><body><p>na\xefve</p></body></html>', 'latin1');
    server = await startServer({ '/': page(latin1, { 'content-type': 'text/html; charset=ISO-8859-1', 'x-extra': 'yes' }) });

    const fetched = await fetchPage(server.url('/'), { allowPrivate });

    expect(fetched.url).toBe(server.url('/'));
    expect(fetched.status).toBe(200);
    expect(fetched.contentType).toBe('text/html; charset=ISO-8859-1');
    expect(fetched.headers['x-extra']).toBe('yes');
    expect(Buffer.from(fetched.body).equals(latin1)).toBe(true);
    expect(fetched.redirects).toEqual([]);
    expect(Number.isNaN(Date.parse(fetched.fetchedAt))).toBe(false);
    const decoded = decodeHtml(fetched.body, fetched.contentType);
    expect(decoded.html).toContain('Café');
    expect(decoded.charsetSource).toBe('header');
  });

  it('sends a clear user agent with the package version, and asks for HTML', async () => {
    server = await startServer({ '/': page('<p>hi</p>') });
    await fetchPage(server.url('/'), { allowPrivate });
    expect(server.headers[0]['user-agent']).toMatch(/^winnow\/\d+\.\d+\.\d+ \(\+https:\/\/github\.com\/winnow; content moderation\)$/);
    expect(server.headers[0].accept).toContain('text/html');
    expect(server.headers[0]['accept-encoding']).toBe('gzip, deflate, br');
  });

  it('accepts application/xhtml+xml and XML', async () => {
    server = await startServer({
      '/x': page('<html xmlns="http://www.w3.org/1999/xhtml"><p>x</p></html>', { 'content-type': 'application/xhtml+xml' }),
      '/r': page('<?xml version="1.0"?><rss/>', { 'content-type': 'text/xml' }),
    });
    await expect(fetchPage(server.url('/x'), { allowPrivate })).resolves.toMatchObject({ status: 200 });
    await expect(fetchPage(server.url('/r'), { allowPrivate })).resolves.toMatchObject({ status: 200 });
  });

  it('sniffs an untyped body: markup is accepted, anything else is unsupported_type', async () => {
    server = await startServer({
      '/markup': page('\n  <!doctype html><p>x</p>', {}),
      '/binary': page(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), {}),
    });
    await expect(fetchPage(server.url('/markup'), { allowPrivate })).resolves.toMatchObject({ contentType: '' });
    expect(await rejection(fetchPage(server.url('/binary'), { allowPrivate }))).toMatchObject({ code: 'unsupported_type' });
  });
});

describe('fetchPage: the allow list', () => {
  it('refuses 127.0.0.1 without allowPrivate, before the server sees a connection', async () => {
    server = await startServer({ '/': page('<p>secret</p>') });
    const error = await rejection(fetchPage(server.url('/')));
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ code: 'blocked_address', retryable: false });
    expect(server.connections).toBe(0);
    expect(attempted).toEqual([]);
  });

  it(`reads the default allow list from ${ALLOW_PRIVATE_ENV}`, async () => {
    server = await startServer({ '/': page('<p>ok</p>') });
    process.env[ALLOW_PRIVATE_ENV] = 'intranet.example, 127.0.0.0/8';
    await expect(fetchPage(server.url('/'))).resolves.toMatchObject({ status: 200 });
  });
});

describe('fetchPage: redirects', () => {
  it('follows relative and absolute redirects and records each hop', async () => {
    server = await startServer({
      '/a': redirect('/b?x=1', 301),
      '/b': (_request, response, self) => {
        response.writeHead(307, { location: `${self.origin}/c` }).end();
      },
      '/c': redirect('d#frag', 308),
      '/d': page('<p>done</p>'),
    });
    const fetched = await fetchPage(server.url('/a'), { allowPrivate });
    expect(fetched.url).toBe(server.url('/d'));
    expect(fetched.redirects).toEqual([server.url('/a'), server.url('/b?x=1'), server.url('/c')]);
    expect(server.paths).toEqual(['/a', '/b?x=1', '/c', '/d']);
  });

  it('stops a loop A→B→A with too_many_redirects', async () => {
    server = await startServer({ '/a': redirect('/b'), '/b': redirect('/a') });
    const error = await rejection(fetchPage(server.url('/a'), { allowPrivate }));
    expect(error).toMatchObject({ code: 'too_many_redirects', retryable: false });
    expect(server.paths).toEqual(['/a', '/b']);
  });

  it('follows a chain of 5 but not of 6', async () => {
    const chain = (length: number): Record<string, ReturnType<typeof redirect>> => {
      const routes: Record<string, ReturnType<typeof redirect>> = {};
      for (let i = 0; i < length; i++) routes[`/r${i}`] = redirect(`/r${i + 1}`);
      routes[`/r${length}`] = page('<p>end</p>');
      return routes;
    };
    server = await startServer(chain(5));
    const fetched = await fetchPage(server.url('/r0'), { allowPrivate });
    expect(fetched.redirects).toHaveLength(5);
    await server.close();

    server = await startServer(chain(6));
    expect(await rejection(fetchPage(server.url('/r0'), { allowPrivate }))).toMatchObject({ code: 'too_many_redirects' });
    expect(server.paths).toHaveLength(6);
  });

  it('honours a smaller maxRedirects', async () => {
    server = await startServer({ '/a': redirect('/b'), '/b': page('<p>x</p>') });
    expect(await rejection(fetchPage(server.url('/a'), { allowPrivate, maxRedirects: 0 }))).toMatchObject({ code: 'too_many_redirects' });
  });

  it('refuses a redirect from an allowed host to 169.254.169.254 without connecting to it', async () => {
    server = await startServer({ '/': redirect('http://169.254.169.254/latest/meta-data/') });
    const error = await rejection(fetchPage(server.url('/'), { allowPrivate }));
    expect(error).toMatchObject({ code: 'blocked_address', retryable: false, url: 'http://169.254.169.254/latest/meta-data/' });
    expect(attempted).toEqual(['127.0.0.1']);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    server = await startServer({ '/': redirect('file:///etc/passwd') });
    expect(await rejection(fetchPage(server.url('/'), { allowPrivate }))).toMatchObject({ code: 'bad_url' });
  });
});

describe('fetchPage: statuses and content types', () => {
  it('503 with Retry-After seconds is a retryable http_error carrying retryAfterMs', async () => {
    server = await startServer({ '/': page('busy', { 'retry-after': '7', 'content-type': 'text/html' }, 503) });
    const error = await rejection(fetchPage(server.url('/'), { allowPrivate }));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ code: 'http_error', status: 503, retryable: true, retryAfterMs: 7000 });
  });

  it('429 with an HTTP-date Retry-After is retryable', async () => {
    const date = new Date(Date.now() + 60_000).toUTCString();
    server = await startServer({ '/': page('slow down', { 'retry-after': date }, 429) });
    const error = await rejection(fetchPage(server.url('/'), { allowPrivate }));
    expect(error).toMatchObject({ status: 429, retryable: true });
    expect(error.retryAfterMs).toBeGreaterThan(50_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('408 and 500 are retryable without Retry-After', async () => {
    server = await startServer({ '/408': page('', {}, 408), '/500': page('', {}, 500) });
    expect(await rejection(fetchPage(server.url('/408'), { allowPrivate }))).toMatchObject({ status: 408, retryable: true, retryAfterMs: undefined });
    expect(await rejection(fetchPage(server.url('/500'), { allowPrivate }))).toMatchObject({ status: 500, retryable: true });
  });

  it('404 and 403 are not retryable', async () => {
    server = await startServer({ '/403': page('no', {}, 403) });
    expect(await rejection(fetchPage(server.url('/missing'), { allowPrivate }))).toMatchObject({ code: 'http_error', status: 404, retryable: false });
    expect(await rejection(fetchPage(server.url('/403'), { allowPrivate }))).toMatchObject({ status: 403, retryable: false });
  });

  it('204 and an empty 200 are empty', async () => {
    server = await startServer({
      '/204': (_request, response) => response.writeHead(204).end(),
      '/200': page('', { 'content-type': 'text/html' }),
    });
    expect(await rejection(fetchPage(server.url('/204'), { allowPrivate }))).toMatchObject({ code: 'empty', retryable: false });
    expect(await rejection(fetchPage(server.url('/200'), { allowPrivate }))).toMatchObject({ code: 'empty', retryable: false });
  });

  it.each(['image/png', 'application/pdf', 'application/octet-stream', 'application/json'])(
    '%s is unsupported_type and the body is not downloaded',
    async (type) => {
      const total = 32 * 1024 * 1024;
      let written = 0;
      server = await startServer({
        '/': (_request, response) => {
          response.writeHead(200, { 'content-type': type });
          const chunk = Buffer.alloc(64 * 1024, 1);
          const pump = (): void => {
            while (written < total) {
              written += chunk.length;
              if (!response.write(chunk)) {
                response.once('drain', pump);
                return;
              }
            }
            response.end();
          };
          response.on('close', () => response.removeAllListeners('drain'));
          pump();
        },
      });
      const error = await rejection(fetchPage(server.url('/'), { allowPrivate }));
      expect(error).toMatchObject({ code: 'unsupported_type', retryable: false });
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Only what socket buffers absorbed before the client hung up was ever written.
      expect(written).toBeLessThan(total / 4);
    },
  );
});

describe('fetchPage: input checks', () => {
  it('rejects a non-URL with bad_url', async () => {
    expect(await rejection(fetchPage('not a url'))).toMatchObject({ code: 'bad_url', retryable: false });
  });

  it('rejects an already aborted signal with its reason', async () => {
    server = await startServer({ '/': page('<p>x</p>') });
    const controller = new AbortController();
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(fetchPage(server.url('/'), { allowPrivate, signal: controller.signal })).rejects.toBe(reason);
    expect(server.connections).toBe(0);
  });

  it('aborts a hanging fetch when the caller aborts', async () => {
    server = await startServer({ '/': () => undefined });
    const controller = new AbortController();
    const reason = new Error('cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await expect(fetchPage(server.url('/'), { allowPrivate, signal: controller.signal })).rejects.toBe(reason);
  });
});
