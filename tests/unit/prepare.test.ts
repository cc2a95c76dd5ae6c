import { describe, expect, it } from 'vitest';
import { PageTooLargeError, WinnowError } from '../../src/errors.js';
import { DEFAULT_LIMITS, preparePage } from '../../src/input/prepare.js';

function errorOf(fn: () => unknown): WinnowError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WinnowError);
    return error as WinnowError;
  }
  throw new Error('did not throw');
}

// Depth, element count and cutting scripts, styles, templates and inline SVG are the parser's
// job now, on the tree it builds: tests/unit/parse-tree.test.ts and parse-limits.test.ts.
describe('preparePage', () => {
  it('returns the page unchanged within the size limit', () => {
    const html = '<html><body><p>a</p><script>b()</script></body></html>';
    expect(preparePage(html)).toBe(html);
  });

  it('refuses a page over maxHtmlBytes with too_large, counting UTF-8 bytes not characters', () => {
    const limits = { ...DEFAULT_LIMITS, maxHtmlBytes: 1000 };
    const cyrillic = `<p>${'я'.repeat(600)}</p>`; // 607 characters, 1207 bytes
    expect(cyrillic.length).toBeLessThan(1000);
    const error = errorOf(() => preparePage(cyrillic, limits));
    expect(error).toBeInstanceOf(PageTooLargeError);
    expect(error.code).toBe('too_large');
    expect(preparePage(`<p>${'a'.repeat(900)}</p>`, limits)).toContain('aaa');
  });

  it('refuses the default 10 MiB + 1 byte page before any other work', () => {
    const html = '<p>' + 'a'.repeat(DEFAULT_LIMITS.maxHtmlBytes) + '</p>';
    const started = performance.now();
    expect(errorOf(() => preparePage(html)).code).toBe('too_large');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
