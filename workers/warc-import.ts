import { createReadStream } from 'node:fs';
import { brotliDecompressSync } from 'node:zlib';
import type { Queue } from 'bullmq';
import { AsyncIterReader, WARCParser, type WARCRecord } from 'warcio';
import { mediaType } from '../src/fetch/content-type.js';
import { DEFAULT_MAX_BYTES } from '../src/fetch/options.js';
import type { Store } from '../src/storage/store.js';
import { enqueueModerate, type Enqueued, type ModerateJobData, type ModerateJobResult } from './queues.js';

/** Media types imported from a WARC: HTML and XHTML responses. */
export const WARC_HTML_TYPES: readonly string[] = ['text/html', 'application/xhtml+xml'];

/** Why a WARC record was not imported. */
export type WarcSkipReason =
  /** A record other than `response` (warcinfo, request, metadata, revisit, resource, ...). */
  | 'not_response'
  /** WARC-Target-URI missing or not an absolute http(s) URL. */
  | 'bad_url'
  /** No HTTP status line and headers could be parsed. */
  | 'no_http'
  /** HTTP status outside 2xx. */
  | 'status'
  /** Content-Type not HTML (or missing). */
  | 'not_html'
  /** Content-Encoding other than gzip, deflate, br or identity (or more than one). */
  | 'unsupported_encoding'
  /** Content-Encoding br whose bytes are not a valid brotli stream. */
  | 'bad_encoding'
  /** Body over the byte limit after decoding. */
  | 'too_large'
  /** No body bytes. */
  | 'empty';

export interface WarcImportOptions {
  store: Store;
  moderateQueue: Queue<ModerateJobData, ModerateJobResult>;
  /** Most body bytes of one page, after Content-Encoding is undone. @defaultValue 10 MiB, as fetchPage */
  maxBytes?: number;
  /** Told about every page queued. */
  onPage?: (page: { url: string; pageId: string; enqueued: Enqueued }) => void;
}

export interface WarcImportSummary {
  /** HTML responses stored and queued for moderation (new jobs and duplicates). */
  pages: number;
  /** Moderate jobs this import created. */
  created: number;
  /** Pages whose moderate job already existed (same URL and bytes as before). */
  duplicates: number;
  /** Records read in total. */
  records: number;
  /** Records not imported, by reason. */
  skipped: Partial<Record<WarcSkipReason, number>>;
}

/**
 * Read a WARC file (plain, or gzip per record: `.warc.gz`) with warcio and import every HTML
 * `response` record with a 2xx status: its HTTP body (Transfer-Encoding and Content-Encoding
 * undone) is stored as a page with source `warc`, url = WARC-Target-URI and the HTTP
 * Content-Type, and a moderate job is queued for it. Storing and queueing are idempotent, so a
 * WARC imported twice adds nothing.
 */
export async function importWarc(file: string, options: WarcImportOptions): Promise<WarcImportSummary> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const summary: WarcImportSummary = { pages: 0, created: 0, duplicates: 0, records: 0, skipped: {} };
  const skip = (reason: WarcSkipReason): void => {
    summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
  };
  const stream = createReadStream(file);
  try {
    const parser = new WARCParser(stream);
    for await (const record of parser) {
      summary.records++;
      const page = await readHtmlResponse(record, maxBytes);
      if ('skip' in page) {
        skip(page.skip);
        continue;
      }
      const { page: stored } = await options.store.putPage({ url: page.url, source: 'warc', raw: page.body, contentType: page.contentType });
      const enqueued = await enqueueModerate(options.moderateQueue, stored.id);
      summary.pages++;
      if (enqueued.created) summary.created++;
      else summary.duplicates++;
      options.onPage?.({ url: page.url, pageId: stored.id, enqueued });
    }
  } finally {
    stream.destroy();
  }
  return summary;
}

type HtmlResponse = { url: string; contentType: string; body: Uint8Array } | { skip: WarcSkipReason };

async function readHtmlResponse(record: WARCRecord, maxBytes: number): Promise<HtmlResponse> {
  if (record.warcType !== 'response') return { skip: 'not_response' };
  const url = record.warcTargetURI ?? '';
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return { skip: 'bad_url' };
  const http = record.httpHeaders;
  if (!http) return { skip: 'no_http' };
  const status = Number(http.statusCode);
  if (!(status >= 200 && status < 300)) return { skip: 'status' };
  const contentType = http.headers.get('content-type') ?? '';
  const type = mediaType(contentType);
  if (type === undefined || !WARC_HTML_TYPES.includes(type)) return { skip: 'not_html' };

  const encoding = (http.headers.get('content-encoding') ?? '').trim().toLowerCase();
  let body: Uint8Array | 'too_large' | 'bad_encoding';
  if (encoding === '' || encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
    // warcio undoes chunking and gzip/deflate itself (pako) while the content is read.
    body = await readCapped(record, maxBytes);
  } else if (encoding === 'br') {
    // warcio only inflates gzip/deflate: undo the chunking with its reader, brotli with zlib.
    body = await readBrotli(record, maxBytes);
  } else if (encoding === 'identity') {
    body = await readCapped(rawDechunked(record), maxBytes);
  } else {
    return { skip: 'unsupported_encoding' };
  }
  if (typeof body === 'string') return { skip: body };
  if (body.length === 0) return { skip: 'empty' };
  return { url, contentType, body };
}

/** The record's raw payload with only the Transfer-Encoding undone (no content decoding). */
function rawDechunked(record: WARCRecord): AsyncIterable<Uint8Array> {
  const chunked = (record.httpHeaders?.headers.get('transfer-encoding') ?? '').trim().toLowerCase() === 'chunked';
  return new AsyncIterReader(record.reader, null, chunked);
}

/** All chunks of `source`, or 'too_large' as soon as they pass `maxBytes` (the rest is never read). */
async function readCapped(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array | 'too_large'> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxBytes) return 'too_large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readBrotli(record: WARCRecord, maxBytes: number): Promise<Uint8Array | 'too_large' | 'bad_encoding'> {
  const compressed = await readCapped(rawDechunked(record), maxBytes);
  if (compressed === 'too_large') return compressed;
  try {
    return brotliDecompressSync(compressed, { maxOutputLength: maxBytes });
  } catch (error) {
    // maxOutputLength exceeded: RangeError ERR_BUFFER_TOO_LARGE; anything else is a corrupt stream.
    return error instanceof RangeError ? 'too_large' : 'bad_encoding';
  }
}
