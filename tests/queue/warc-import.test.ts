import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { WARCRecord, WARCSerializer } from 'warcio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { enqueueCommand } from '../../workers/commands.js';
import { databaseFile, startQueueEnv, testPrefix, type QueueEnv } from './harness.js';

let env: QueueEnv;

beforeAll(async () => {
  env = await startQueueEnv('winnow-warc-');
}, 60_000);

afterEach(() => env?.closeRigs());

afterAll(() => env?.close());

const encoder = new TextEncoder();

function page(marker: string): string {
  return `<!doctype html><html><head><title>${marker}</title></head><body><article><h1>${marker}</h1><p>${marker} body text: the council met on Tuesday.</p></article></body></html>`;
}

/** HTTP/1.1 chunked framing of `body`, in chunks of `size` bytes. */
function chunked(body: Uint8Array, size: number): Uint8Array {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const piece = body.subarray(i, i + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), Buffer.from(piece), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

interface Response {
  url: string;
  statusline?: string;
  headers: Record<string, string>;
  /** Payload bytes as they sit in the WARC (still chunked/compressed). */
  payload: Uint8Array;
}

function response({ url, statusline = 'HTTP/1.1 200 OK', headers, payload }: Response): WARCRecord {
  return WARCRecord.create({ url, type: 'response', statusline, httpHeaders: headers, date: '2024-05-01T10:00:00Z' }, once(payload));
}

const PLAIN = page('Plain page');
const CHUNKED_GZIP = page('Chunked gzip page');
const BROTLI = page('Brotli XHTML page');

/**
 * Three HTML 200s (plain; chunked + gzip; br as XHTML), one image, one request record and one
 * 404: written as a plain WARC or with every record gzipped (`.warc.gz`).
 */
async function writeWarc(file: string, gzip: boolean): Promise<void> {
  const records = [
    response({ url: 'https://news.example/plain', headers: { 'Content-Type': 'text/html; charset=utf-8' }, payload: encoder.encode(PLAIN) }),
    WARCRecord.create(
      { url: 'https://news.example/chunked', type: 'request', statusline: 'GET /chunked HTTP/1.1', httpHeaders: { Host: 'news.example' } },
      once(new Uint8Array(0)),
    ),
    response({
      url: 'https://news.example/chunked',
      headers: { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip', 'Transfer-Encoding': 'chunked' },
      payload: chunked(gzipSync(encoder.encode(CHUNKED_GZIP)), 17),
    }),
    response({ url: 'https://news.example/logo.png', headers: { 'Content-Type': 'image/png' }, payload: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]) }),
    response({
      url: 'https://news.example/missing',
      statusline: 'HTTP/1.1 404 Not Found',
      headers: { 'Content-Type': 'text/html' },
      payload: encoder.encode('<html><body>not found</body></html>'),
    }),
    response({
      url: 'https://news.example/brotli',
      headers: { 'Content-Type': 'application/xhtml+xml', 'Content-Encoding': 'br' },
      payload: brotliCompressSync(encoder.encode(BROTLI)),
    }),
  ];
  const parts: Uint8Array[] = [];
  for (const record of records) parts.push(await WARCSerializer.serialize(record, { gzip }));
  writeFileSync(file, Buffer.concat(parts));
}

describe('winnow enqueue --warc', () => {
  for (const gzip of [false, true]) {
    const name = gzip ? 'example.warc.gz' : 'example.warc';
    it(`stores the 3 HTML 200 responses of ${name} as pages and queues 3 moderate jobs`, async () => {
      const file = join(env.tmp, name);
      await writeWarc(file, gzip);
      const prefix = testPrefix();
      const databasePath = databaseFile(env.tmp, prefix);
      const out: string[] = [];
      const err: string[] = [];
      const sink = (lines: string[]) => ({ write: (chunk: string) => lines.push(chunk) }) as unknown as NodeJS.WritableStream;

      const summary = await enqueueCommand([], {
        warc: [file],
        config: { redisUrl: env.redis.url, queuePrefix: prefix },
        openStore: async () => SqliteStore.open(databasePath),
        stdout: sink(out),
        stderr: sink(err),
      });

      expect(summary.created).toBe(3);
      expect(summary.warc).toEqual([
        { records: 6, pages: 3, created: 3, duplicates: 0, skipped: { not_response: 1, not_html: 1, status: 1 } },
      ]);
      expect(err.join('')).toContain(`${file}: 6 records, 3 pages queued (3 new, 0 duplicate), 3 skipped (`);

      const { producer, store } = await env.openRig({ prefix });
      const jobs = await producer.moderate.getJobs(['waiting']);
      expect(jobs).toHaveLength(3);
      expect(await producer.fetch.count()).toBe(0);
      const pages = new Map<string, { contentType: string | null; body: string; source: string; jobId: string }>();
      for (const job of jobs) {
        const stored = await store.getPage(job.data.pageId);
        expect(stored).not.toBeNull();
        const raw = await store.getRawPage(job.data.pageId);
        pages.set(stored!.url!, { contentType: stored!.contentType, body: new TextDecoder().decode(raw!), source: stored!.source, jobId: job.id! });
        expect(job.id).toBe(`p-${stored!.id}`);
      }
      // Bodies are stored decoded: no chunk framing, no gzip or brotli bytes.
      expect(Object.fromEntries([...pages].map(([url, p]) => [url, [p.source, p.contentType, p.body]]))).toEqual({
        'https://news.example/plain': ['warc', 'text/html; charset=utf-8', PLAIN],
        'https://news.example/chunked': ['warc', 'text/html', CHUNKED_GZIP],
        'https://news.example/brotli': ['warc', 'application/xhtml+xml', BROTLI],
      });

      // Importing the same WARC again adds no page and no job.
      const again = await enqueueCommand([], {
        warc: [file],
        config: { redisUrl: env.redis.url, queuePrefix: prefix },
        openStore: async () => SqliteStore.open(databasePath),
        stdout: sink([]),
        stderr: sink([]),
      });
      expect(again.warc[0]).toMatchObject({ pages: 3, created: 0, duplicates: 3 });
      expect(await producer.moderate.count()).toBe(3);
    });
  }
});
