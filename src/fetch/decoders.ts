import { Transform, type TransformCallback } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw, type Inflate, type InflateRaw } from 'node:zlib';
import { UnsupportedTypeError } from './errors.js';

/** Most Content-Encoding layers accepted; each layer multiplies what a small body can inflate to. */
export const MAX_ENCODING_LAYERS = 2;

/**
 * Decompressing streams for a Content-Encoding header, in the order to apply them (the last
 * coding listed was applied last, so it is undone first). `identity` is skipped. Throws
 * `unsupported_type` for an unknown coding or more than MAX_ENCODING_LAYERS layers.
 */
export function contentDecoders(contentEncoding: string | undefined, url?: string): Transform[] {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length > MAX_ENCODING_LAYERS) {
    throw new UnsupportedTypeError(`${codings.length} content-encoding layers; at most ${MAX_ENCODING_LAYERS} are accepted`, url);
  }
  return codings.reverse().map((coding) => decoderFor(coding, url));
}

function decoderFor(coding: string, url: string | undefined): Transform {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return new InflateAuto();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new UnsupportedTypeError(`content-encoding "${coding}" is not supported`, url);
  }
}

/**
 * `deflate` means zlib-wrapped deflate (RFC 9110), but some servers send raw deflate; the first
 * two bytes tell which. The inner inflater is paused whenever this stream's buffer is full, so a
 * bomb cannot pile up output faster than it is read.
 */
class InflateAuto extends Transform {
  private inner: Inflate | InflateRaw | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const inner = (this.inner ??= this.start(chunk));
    if (inner.write(chunk)) done();
    else inner.once('drain', () => done());
  }

  override _flush(done: TransformCallback): void {
    if (!this.inner) {
      done();
      return;
    }
    this.inner.once('end', () => done());
    this.inner.end();
  }

  override _read(size: number): void {
    this.inner?.resume();
    super._read(size);
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    this.inner?.destroy();
    done(error);
  }

  private start(first: Buffer): Inflate | InflateRaw {
    const zlibHeader = (first[0] & 0x0f) === 0x08 && (first.length < 2 || ((first[0] << 8) | first[1]) % 31 === 0);
    const inner = zlibHeader ? createInflate() : createInflateRaw();
    inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.once('error', (error) => this.destroy(error));
    return inner;
  }
}
