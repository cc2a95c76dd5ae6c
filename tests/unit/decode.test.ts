import { describe, expect, it } from 'vitest';
import { BadCharsetError, WinnowError } from '../../src/errors.js';
import { charsetFromContentType, decodeHtml } from '../../src/input/decode.js';

const ascii = (text: string) => Buffer.from(text, 'latin1');
const bytes = (...parts: (string | Buffer)[]) => new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? ascii(p) : p))));

// "Привет, мир!" in windows-1251, written out by hand.
const CP1251_HELLO = Buffer.from('cff0e8e2e5f22c20ece8f021', 'hex');
// "Привет" in KOI8-R.
const KOI8_HELLO = Buffer.from('f0d2c9d7c5d4', 'hex');
// "こんにちは世界" in Shift_JIS.
const SJIS_HELLO = Buffer.from('82b182f182c982bf82cd90a28a45', 'hex');

/** The error decodeHtml throws, checked to be a WinnowError with the given code. */
function errorOf(input: Uint8Array, contentType?: string): WinnowError {
  try {
    decodeHtml(input, contentType);
  } catch (error) {
    expect(error).toBeInstanceOf(WinnowError);
    return error as WinnowError;
  }
  throw new Error('decodeHtml did not throw');
}

describe('charsetFromContentType', () => {
  it('reads the charset parameter in its usual spellings', () => {
    expect(charsetFromContentType('text/html; charset=utf-8')).toBe('utf-8');
    expect(charsetFromContentType('text/html;charset="windows-1251"')).toBe('windows-1251');
    expect(charsetFromContentType('text/html; CHARSET = Shift_JIS; foo=bar')).toBe('Shift_JIS');
    expect(charsetFromContentType('text/html')).toBeUndefined();
    expect(charsetFromContentType(null)).toBeUndefined();
    expect(charsetFromContentType(undefined)).toBeUndefined();
  });
});

describe('decodeHtml: charsets', () => {
  it('windows-1251 page with only <meta charset> decodes to Cyrillic', () => {
    const page = bytes('<!DOCTYPE html><html><head><meta charset="windows-1251"><title>t</title></head><body><p>', CP1251_HELLO, '</p></body></html>');
    const decoded = decodeHtml(page);
    expect(decoded.html).toContain('<p>Привет, мир!</p>');
    expect(decoded.charset).toBe('windows-1251');
    expect(decoded.charsetSource).toBe('meta');
    expect(decoded.html).not.toContain('\uFFFD');
  });

  it('windows-1251 declared with the old http-equiv meta', () => {
    const page = bytes(
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body><p>',
      CP1251_HELLO,
      '</p></body></html>',
    );
    expect(decodeHtml(page).html).toContain('Привет, мир!');
  });

  it('KOI8-R page with <meta charset> decodes', () => {
    const page = bytes('<html><head><meta charset="koi8-r"></head><body><h1>', KOI8_HELLO, '</h1></body></html>');
    expect(decodeHtml(page).html).toContain('<h1>Привет</h1>');
  });

  it('Shift_JIS page with only <meta charset> decodes to Japanese', () => {
    const page = bytes('<!DOCTYPE html><html><head><meta charset="Shift_JIS"></head><body><p>', SJIS_HELLO, '</p></body></html>');
    const decoded = decodeHtml(page);
    expect(decoded.html).toContain('<p>こんにちは世界</p>');
    expect(decoded.charset).toBe('Shift_JIS');
    expect(decoded.charsetSource).toBe('meta');
  });

  it('the transport header beats the meta tag', () => {
    const page = bytes('<html><head><meta charset="utf-8"></head><body><p>', CP1251_HELLO, '</p></body></html>');
    const decoded = decodeHtml(page, 'text/html; charset=windows-1251');
    expect(decoded.html).toContain('Привет, мир!');
    expect(decoded.charsetSource).toBe('header');
  });

  it('a byte-order mark beats a lying header (UTF-8 BOM)', () => {
    const page = bytes(Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<html><body><p>Привет, мир!</p></body></html>', 'utf8'));
    const decoded = decodeHtml(page, 'text/html; charset=windows-1251');
    expect(decoded.charsetSource).toBe('bom');
    expect(decoded.charset).toBe('UTF-8');
    expect(decoded.html).toContain('<p>Привет, мир!</p>');
    expect(decoded.html.charCodeAt(0)).not.toBe(0xfeff);
  });

  it('UTF-16LE with a BOM is text, not binary, despite its NUL bytes', () => {
    const page = new Uint8Array(Buffer.from('\uFEFF<html><body><p>Grüße, こんにちは</p></body></html>', 'utf16le'));
    expect(page.includes(0)).toBe(true);
    const decoded = decodeHtml(page);
    expect(decoded.charsetSource).toBe('bom');
    expect(decoded.charset).toBe('UTF-16LE');
    expect(decoded.html).toContain('<p>Grüße, こんにちは</p>');
  });

  it('plain UTF-8 without any declaration decodes as UTF-8', () => {
    const decoded = decodeHtml(new Uint8Array(Buffer.from('<html><body><p>Grüße — 日本語 — Привет</p></body></html>', 'utf8')));
    expect(decoded.html).toContain('Grüße — 日本語 — Привет');
    expect(decoded.charset).toBe('UTF-8');
  });

  it('header says utf-8 but the bytes are latin1: decoded without U+FFFD', () => {
    const text =
      "Le café de la gare est très élégant : à Paris, où l'on boit du thé glacé en été, les garçons servent crème brûlée et pâtés.";
    const page = new Uint8Array(Buffer.from(`<html><head><title>Café</title></head><body><p>${text}</p></body></html>`, 'latin1'));
    const decoded = decodeHtml(page, 'text/html; charset=utf-8');
    expect(decoded.html).not.toContain('\uFFFD');
    expect(decoded.html).toContain(text);
    expect(decoded.charsetSource).not.toBe('header');
  });

  it('meta says utf-8 but the bytes are latin1: decoded without U+FFFD', () => {
    const text = 'Müller und Söhne verkaufen Brötchen, Käse und Würstchen für die Straße.';
    const page = new Uint8Array(Buffer.from(`<html><head><meta charset="utf-8"></head><body><p>${text}</p></body></html>`, 'latin1'));
    const decoded = decodeHtml(page);
    expect(decoded.html).not.toContain('\uFFFD');
    expect(decoded.html).toContain(text);
  });

  it('an unknown charset in the header is a BadCharsetError with code bad_charset', () => {
    const error = errorOf(bytes('<html><body><p>x</p></body></html>'), 'text/html; charset=x-klingon-9');
    expect(error).toBeInstanceOf(BadCharsetError);
    expect(error.code).toBe('bad_charset');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('x-klingon-9');
  });
});

describe('decodeHtml: what is not an HTML page', () => {
  it('zero bytes → empty', () => {
    expect(errorOf(new Uint8Array(0)).code).toBe('empty');
  });

  it('whitespace only → empty', () => {
    expect(errorOf(bytes(' \n\t\r\n  \f ')).code).toBe('empty');
  });

  it('a PNG header followed by random bytes → not_text', () => {
    let seed = 12345;
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      random[i] = seed & 0xff;
    }
    const png = bytes(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), random);
    expect(errorOf(png).code).toBe('not_text');
    expect(errorOf(png, 'text/html; charset=utf-8').code).toBe('not_text');
  });

  it('binary without NULs but full of control bytes → not_text', () => {
    const junk = Buffer.alloc(2000);
    for (let i = 0; i < junk.length; i++) junk[i] = i % 3 === 0 ? 0x01 + (i % 8) : 0x41 + (i % 26);
    expect(errorOf(new Uint8Array(junk)).code).toBe('not_text');
  });

  it('JSON → not_html, even with markup inside strings', () => {
    expect(errorOf(bytes('{"title": "<p>Hello</p>", "body": "<div>x</div>"}')).code).toBe('not_html');
    expect(errorOf(bytes('  [{"a": 1}, {"b": "<html>"}]')).code).toBe('not_html');
  });

  it('plain text → not_html', () => {
    expect(errorOf(bytes('Dear reader,\nthis is a plain text file with no markup at all.\nRegards\n')).code).toBe('not_html');
  });

  it('a text-only PDF header → not_html', () => {
    expect(errorOf(bytes('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n')).code).toBe('not_html');
  });

  it('an HTML fragment without <html> is still HTML', () => {
    expect(decodeHtml(bytes('<div class="post"><p>Just a fragment.</p></div>')).html).toContain('Just a fragment.');
    expect(decodeHtml(bytes('\n\n<!-- saved page -->\n<!DOCTYPE html>\n<title>x</title><p>y')).html).toContain('<p>y');
  });

  // The doc comment on MAX_CONTROL_RATIO counts NUL among the control characters whose *share*
  // decides binary-ness; looksBinary() instead rejects a page on its first NUL byte.
  it('one stray NUL byte in a long text page does not make it binary', () => {
    const paragraph = '<p>The council met on Tuesday evening to discuss the new library budget and the opening hours.</p>\n';
    const page = bytes('<!DOCTYPE html><html><body>', paragraph.repeat(40), Buffer.from([0]), paragraph.repeat(40), '</body></html>');
    expect(page.filter((b) => b === 0).length).toBe(1);
    const decoded = decodeHtml(page);
    expect(decoded.html).toContain('library budget');
  });
});
