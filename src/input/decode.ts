import { createRequire } from 'node:module';
import { isUtf8 } from 'node:buffer';
import chardet from 'chardet';
import { BadCharsetError, EmptyInputError, NotHtmlError, NotTextError } from '../errors.js';

const require = createRequire(import.meta.url);
// CommonJS module without types: (bytes, options) => WHATWG encoding name or the default.
const sniffHtmlEncoding = require('html-encoding-sniffer') as (
  bytes: Uint8Array,
  options: { transportLayerEncodingLabel?: string; defaultEncoding?: string | null },
) => string | null;

/** How many leading bytes are inspected to tell binary from text and HTML from other text. */
const SNIFF_BYTES = 64 * 1024;
/** Share of control characters (NUL and C0 except tab/newline/CR/FF/ESC) above which bytes are binary: a stray NUL in a page is not enough. */
const MAX_CONTROL_RATIO = 0.01;

/** The page as text, and how its encoding was found. */
export interface DecodedPage {
  html: string;
  /** WHATWG encoding name used to decode. */
  charset: string;
  /** Where the charset came from. */
  charsetSource: 'bom' | 'header' | 'meta' | 'detected' | 'default';
}

/** The charset parameter of a Content-Type header, if any. */
export function charsetFromContentType(contentType: string | null | undefined): string | undefined {
  const match = contentType ? /charset\s*=\s*"?([^";\s]+)/i.exec(contentType) : null;
  return match ? match[1] : undefined;
}

/**
 * Bytes to HTML text. The charset comes from the byte-order mark, then the transport header,
 * then `<meta charset>`, then detection; a declared UTF-8 that does not decode cleanly is
 * detected again (servers often claim UTF-8 for Latin-1 pages).
 * Throws EmptyInputError, NotTextError, NotHtmlError or BadCharsetError.
 */
export function decodeHtml(bytes: Uint8Array, contentType?: string | null): DecodedPage {
  if (isBlank(bytes)) throw new EmptyInputError();
  if (looksBinary(bytes)) throw new NotTextError();

  const { charset, charsetSource } = chooseCharset(bytes, charsetFromContentType(contentType));
  const html = decodeWith(bytes, charset);
  if (!looksLikeHtml(html)) throw new NotHtmlError('page has no HTML markup');
  return { html, charset, charsetSource };
}

function chooseCharset(bytes: Uint8Array, headerCharset: string | undefined): Omit<DecodedPage, 'html'> {
  if (headerCharset !== undefined && !isKnownEncoding(headerCharset)) {
    throw new BadCharsetError(`unknown charset "${headerCharset}"`);
  }
  const bom = sniffHtmlEncoding(bytes.subarray(0, 4), { defaultEncoding: null });
  if (bom) return { charset: bom, charsetSource: 'bom' };
  const declared = sniffHtmlEncoding(bytes, { transportLayerEncodingLabel: headerCharset, defaultEncoding: null });
  if (declared && !(declared === 'UTF-8' && !isValidUtf8(bytes))) {
    return { charset: declared, charsetSource: headerCharset ? 'header' : 'meta' };
  }
  if (isValidUtf8(bytes)) return { charset: 'UTF-8', charsetSource: 'default' };
  const detected = chardet.detect(bytes.subarray(0, SNIFF_BYTES));
  if (detected && isKnownEncoding(detected)) return { charset: detected, charsetSource: 'detected' };
  return { charset: 'windows-1252', charsetSource: 'default' };
}

function decodeWith(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch (error) {
    throw new BadCharsetError(`cannot decode as "${charset}": ${(error as Error).message}`);
  }
}

function isKnownEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

function isValidUtf8(bytes: Uint8Array): boolean {
  // Node's native check: no decoded copy of the page just to throw it away.
  return isUtf8(bytes);
}

function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) return false;
  }
  return true;
}

/** UTF-16 pages are full of NULs but are text: the BOM says so, and they are let through. */
function looksBinary(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
    return false;
  }
  let control = 0;
  // An indexed loop: a typed array's iterator is several times slower on 64 KB.
  for (let i = 0; i < head.length; i++) {
    const byte = head[i];
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c && byte !== 0x1b) control++;
  }
  return control / head.length > MAX_CONTROL_RATIO;
}

/** Some element tag early in the text: HTML, or HTML-ish enough for a forgiving parser. */
function looksLikeHtml(text: string): boolean {
  const head = text.slice(0, SNIFF_BYTES).trimStart();
  if (head.startsWith('{') || head.startsWith('[') || head.startsWith('%PDF')) return false;
  return /<(!doctype\s+html|html|head|body|p|div|article|main|title|meta|section|span|a|h[1-6]|table|ul|br)[\s>/]/i.test(head);
}
