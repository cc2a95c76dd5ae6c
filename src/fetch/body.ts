import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { contentDecoders } from './decoders.js';
import { NetworkError, ResponseTooLargeError, toFetchError, UnsupportedTypeError } from './errors.js';

/** How many leading decoded bytes an untyped body is sniffed from. */
export const SNIFF_BYTES = 64 * 1024;

/** Limits and checks applied while the body streams in. */
export interface BodyPolicy {
  /** Most decoded bytes (and, when aborting, most bytes on the wire). */
  maxBytes: number;
  /** Over the limit: fail with `too_large`, or keep the first maxBytes and stop reading (robots.txt). */
  overflow: 'abort' | 'truncate';
  /** Called once with the first SNIFF_BYTES decoded bytes (or all, if fewer); false fails with `unsupported_type`. */
  sniff?: (head: Uint8Array) => boolean;
}

/**
 * Reads the response body, undoing its Content-Encoding with zlib streams and counting the
 * decoded bytes as they come, so a decompression bomb is stopped at `maxBytes` without ever
 * holding more. Aborting `signal` destroys the stream and rejects with its reason.
 */
export async function readBody(response: IncomingMessage, policy: BodyPolicy, signal: AbortSignal, url: string): Promise<Uint8Array> {
  const decoders = contentDecoders(headerText(response.headers['content-encoding']), url);
  const declared = Number(response.headers['content-length']);
  if (policy.overflow === 'abort' && decoders.length === 0 && declared > policy.maxBytes) {
    throw tooLarge(policy.maxBytes, url);
  }
  const wireLimit = policy.overflow === 'abort' ? policy.maxBytes : Number.POSITIVE_INFINITY;
  // Errors surface through the iteration below; the callback only keeps pipeline from throwing.
  const output = pipeline([response, new WireLimit(wireLimit, url), ...decoders], () => {}) as unknown as Readable;
  const onAbort = (): void => {
    output.destroy(signal.reason as Error);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await collect(output, policy, url);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw isDecodeError(error)
      ? new NetworkError(`cannot decode the body: ${(error as Error).message}`, { retryable: false, cause: error, url })
      : toFetchError(error, url);
  } finally {
    signal.removeEventListener('abort', onAbort);
    response.destroy();
  }
}

async function collect(output: Readable, policy: BodyPolicy, url: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  let sniffed = policy.sniff === undefined;
  for await (const chunk of output as AsyncIterable<Buffer>) {
    if (size + chunk.length > policy.maxBytes) {
      if (policy.overflow === 'abort') throw tooLarge(policy.maxBytes, url);
      chunks.push(chunk.subarray(0, policy.maxBytes - size));
      size = policy.maxBytes;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
    if (!sniffed && size >= SNIFF_BYTES) {
      sniffed = true;
      checkSniff(policy, Buffer.concat(chunks, size).subarray(0, SNIFF_BYTES), url);
    }
  }
  const body = Buffer.concat(chunks, size);
  if (!sniffed && size > 0) checkSniff(policy, body, url);
  return body;
}

function checkSniff(policy: BodyPolicy, head: Uint8Array, url: string): void {
  if (policy.sniff && !policy.sniff(head)) {
    throw new UnsupportedTypeError('response has no Content-Type and does not look like markup', url);
  }
}

function tooLarge(maxBytes: number, url: string): ResponseTooLargeError {
  return new ResponseTooLargeError(`body is larger than ${maxBytes} bytes`, url);
}

/** zlib and brotli report corrupt input with Z_* or ERR__* codes. */
function isDecodeError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return code.startsWith('Z_') || code.startsWith('ERR__') || code.startsWith('ERR_BROTLI');
}

/** Header value as one string (repeated headers joined with commas). */
export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Fails the stream once more than `limit` raw bytes have arrived. */
class WireLimit extends Transform {
  private seen = 0;

  constructor(
    private readonly limit: number,
    private readonly url: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(tooLarge(this.limit, this.url));
    else done(null, chunk);
  }
}
