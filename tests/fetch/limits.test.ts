import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { brotliCompressSync, constants, createBrotliCompress, createDeflate, createDeflateRaw, createGzip, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchPage } from '../../src/fetch/fetch-page.js';
import { fakeLookup, guardNetwork, page, rejection, startServer, type TestServer } from './helpers.js';

const allowPrivate = ['127.0.0.1'];
const MiB = 1024 * 1024;
let server: TestServer;

beforeAll(() => {
  guardNetwork();
});

afterEach(async () => {
  await server?.close();
});

/** `total` zero bytes compressed, without ever holding them: one zero chunk is fed repeatedly. */
async function compressedZeros(kind: 'gzip' | 'deflate' | 'deflate-raw' | 'br', total: number): Promise<Buffer> {
  const chunk = Buffer.alloc(MiB);
  const source = Readable.from(
    (function* () {
      for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
    })(),
  );
  const compressor =
    kind === 'gzip'
      ? createGzip({ level: 1 })
      : kind === 'deflate'
        ? createDeflate({ level: 1 })
        : kind === 'deflate-raw'
          ? createDeflateRaw({ level: 1 })
          : createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });
  const parts: Buffer[] = [];
  await pipeline(source, compressor, async (compressed: AsyncIterable<Buffer>) => {
    for await (const part of compressed) parts.push(part);
  });
  return Buffer.concat(parts);
}

/** Largest growth of heap plus array buffers while `action` runs, sampled every few ms. */
async function peakMemoryGrowth(action: () => Promise<unknown>): Promise<number> {
  const usage = (): number => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  const baseline = usage();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, usage());
  }, 2);
  try {
    await action().catch(() => undefined);
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, usage()) - baseline;
}

describe('fetchPage: timeouts', () => {
  it('times out quickly on a server that never sends headers', async () => {
    server = await startServer({ '/': () => undefined });
    const started = Date.now();
    const error = await rejection(fetchPage(server.url('/'), { allowPrivate, totalTimeoutMs: 300 }));
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('times out on a body trickling one byte per 100 ms', async () => {
    server = await startServer({
      '/': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.write('<');
        const timer = setInterval(() => response.write('p'), 100);
        response.on('close', () => clearInterval(timer));
      },
    });
    const started = Date.now();
    const error = await rejection(fetchPage(server.url('/'), { allowPrivate, totalTimeoutMs: 500 }));
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('applies the connect timeout to resolving the host', async () => {
    const lookup = (): Promise<never> => new Promise(() => undefined);
    const error = await rejection(fetchPage('http://slow-dns.example/', { lookup, connectTimeoutMs: 200 }));
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
    expect(String(error.message)).toContain('no connection');
  });

  it('reports a refused connection as a retryable network error', async () => {
    server = await startServer({});
    const closed = server.url('/');
    await server.close();
    expect(await rejection(fetchPage(closed, { allowPrivate }))).toMatchObject({ code: 'network', retryable: true });
  });

  it('reports a name that does not resolve as a network error', async () => {
    const lookup = fakeLookup({});
    expect(await rejection(fetchPage('http://nowhere.example/', { lookup }))).toMatchObject({ code: 'network', retryable: true });
  });
});

describe('fetchPage: size limits', () => {
  it('aborts a 12 MiB streamed body (no Content-Length) with too_large', async () => {
    server = await startServer({
      '/': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        const chunk = Buffer.alloc(256 * 1024, 0x61);
        let sent = 0;
        const pump = (): void => {
          while (sent < 12 * MiB) {
            sent += chunk.length;
            if (!response.write(chunk)) {
              response.once('drain', pump);
              return;
            }
          }
          response.end();
        };
        pump();
      },
    });
    const error = await rejection(fetchPage(server.url('/'), { allowPrivate }));
    expect(error).toMatchObject({ code: 'too_large', retryable: false });
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    server = await startServer({ '/': page(Buffer.alloc(2 * MiB, 0x61), { 'content-type': 'text/html' }) });
    expect(await rejection(fetchPage(server.url('/'), { allowPrivate, maxBytes: MiB }))).toMatchObject({ code: 'too_large' });
  });

  it('accepts a body of exactly maxBytes', async () => {
    server = await startServer({ '/': page(Buffer.alloc(1000, 0x61), { 'content-type': 'text/html' }) });
    await expect(fetchPage(server.url('/'), { allowPrivate, maxBytes: 1000 })).resolves.toMatchObject({ status: 200 });
  });

  it.each(['gzip', 'br', 'deflate'] as const)('stops a %s bomb (64 MiB of zeros) at 10 MiB with heap growth under 64 MB', async (kind) => {
    const bomb = await compressedZeros(kind, 64 * MiB);
    expect(bomb.length).toBeLessThan(MiB);
    server = await startServer({ '/': page(bomb, { 'content-type': 'text/html', 'content-encoding': kind }) });
    let error: unknown;
    const growth = await peakMemoryGrowth(async () => {
      error = await rejection(fetchPage(server.url('/'), { allowPrivate }));
    });
    expect(error).toMatchObject({ code: 'too_large', retryable: false });
    expect(growth).toBeLessThan(64 * MiB);
  });

  it('counts decoded bytes, not wire bytes', async () => {
    const body = gzipSync(Buffer.alloc(2 * MiB, 0x61));
    server = await startServer({ '/': page(body, { 'content-type': 'text/html', 'content-encoding': 'gzip' }) });
    expect(await rejection(fetchPage(server.url('/'), { allowPrivate, maxBytes: MiB }))).toMatchObject({ code: 'too_large' });
  });
});

describe('fetchPage: content encodings', () => {
  const html = '<html><body><p>compressed page</p></body></html>';

  it.each([
    ['gzip', gzipSync(html)],
    ['x-gzip', gzipSync(html)],
    ['br', brotliCompressSync(html)],
    ['deflate', deflateSync(html)],
    ['deflate', deflateRawSync(html)],
    ['identity', Buffer.from(html)],
    ['gzip, br', brotliCompressSync(gzipSync(html))],
  ])('decodes %s', async (encoding, body) => {
    server = await startServer({ '/': page(body, { 'content-type': 'text/html', 'content-encoding': encoding }) });
    const fetched = await fetchPage(server.url('/'), { allowPrivate });
    expect(Buffer.from(fetched.body).toString('utf8')).toBe(html);
  });

  it('decodes raw deflate larger than one chunk', async () => {
    const big = `<p>${'lorem ipsum dolor '.repeat(100_000)}</p>`;
    const body = await compressedZeros('deflate-raw', 3 * MiB);
    server = await startServer({
      '/raw': page(body, { 'content-type': 'text/html', 'content-encoding': 'deflate' }),
      '/zlib': page(deflateSync(big), { 'content-type': 'text/html', 'content-encoding': 'deflate' }),
    });
    expect((await fetchPage(server.url('/raw'), { allowPrivate })).body.length).toBe(3 * MiB);
    expect(Buffer.from((await fetchPage(server.url('/zlib'), { allowPrivate })).body).toString()).toBe(big);
  });

  it('rejects a chain of more than two encodings', async () => {
    let body: Buffer = Buffer.from(html);
    for (let i = 0; i < 6; i++) body = gzipSync(body);
    server = await startServer({
      '/6': page(body, { 'content-type': 'text/html', 'content-encoding': 'gzip, gzip, gzip, gzip, gzip, gzip' }),
      '/3': page(gzipSync(gzipSync(gzipSync(html))), { 'content-type': 'text/html', 'content-encoding': 'gzip,gzip,gzip' }),
    });
    expect(await rejection(fetchPage(server.url('/6'), { allowPrivate }))).toMatchObject({ code: 'unsupported_type', retryable: false });
    expect(await rejection(fetchPage(server.url('/3'), { allowPrivate }))).toMatchObject({ code: 'unsupported_type' });
  });

  it('rejects an unknown encoding', async () => {
    server = await startServer({ '/': page(html, { 'content-type': 'text/html', 'content-encoding': 'zstd' }) });
    expect(await rejection(fetchPage(server.url('/'), { allowPrivate }))).toMatchObject({ code: 'unsupported_type' });
  });

  it('reports a corrupt gzip body as a non-retryable network error', async () => {
    server = await startServer({ '/': page('this is not gzip', { 'content-type': 'text/html', 'content-encoding': 'gzip' }) });
    expect(await rejection(fetchPage(server.url('/'), { allowPrivate }))).toMatchObject({ code: 'network', retryable: false });
  });
});
