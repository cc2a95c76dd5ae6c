import { describe, expect, it } from 'vitest';
import { PageTooDeepError, PageTooLargeError, WinnowError } from '../../src/errors.js';
import { countStartTags, DEFAULT_LIMITS, maxNestingDepth, preparePage, stripElements } from '../../src/input/prepare.js';

function errorOf(fn: () => unknown): WinnowError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WinnowError);
    return error as WinnowError;
  }
  throw new Error('did not throw');
}

describe('stripElements', () => {
  it('removes script, style, svg and template elements with their content', () => {
    const html =
      '<p>a</p><script>var x = "<p>in script</p>";</script><p>b</p>' +
      '<style media="screen">p::after { content: "<p>in style</p>" }</style><p>c</p>' +
      '<svg viewBox="0 0 1 1"><text>in svg</text><circle r="1"></circle></svg><p>d</p>' +
      '<template id="t"><p>in template</p></template><p>e</p>';
    expect(stripElements(html)).toBe('<p>a</p><p>b</p><p>c</p><p>d</p><p>e</p>');
  });

  it('handles end-tag variants: `</script >`, upper case, attributes on the start tag', () => {
    const html = '<p>a</p><SCRIPT type="text/javascript">x()</SCRIPT ><p>b</p><script src="y.js" async></script\n><p>c</p><Style>.q{}</STYLE><p>d</p>';
    expect(stripElements(html)).toBe('<p>a</p><p>b</p><p>c</p><p>d</p>');
  });

  it('an unclosed <script> runs to the end of the page', () => {
    expect(stripElements('<p>kept</p><script>var never = "closed"; <p>gone</p>')).toBe('<p>kept</p>');
    expect(stripElements('<p>kept</p><style>.a{}<p>gone</p>')).toBe('<p>kept</p>');
  });

  it('a truncated start tag (no `>`) is cut to the end too', () => {
    expect(stripElements('<p>kept</p><script src="x.js"')).toBe('<p>kept</p>');
  });

  it('keeps JSON-LD scripts, with any quoting of the type attribute', () => {
    const jsonLd = [
      '<script type="application/ld+json">{"@type":"NewsArticle","headline":"A"}</script>',
      "<script type='application/ld+json'>{\"author\":\"B\"}</script>",
      '<script TYPE=application/ld+json>{"datePublished":"2026-01-01"}</script>',
    ];
    const html = `<head>${jsonLd.join('')}<script>track()</script></head><p>x</p>`;
    const out = stripElements(html);
    for (const script of jsonLd) expect(out).toContain(script);
    expect(out).not.toContain('track()');
    expect(out).toContain('<p>x</p>');
  });

  it('does not touch elements whose names only start like a stripped one', () => {
    const html = '<scripts-list><p>a</p></scripts-list><svgicon>b</svgicon><styled-box>c</styled-box><templates>d</templates>';
    expect(stripElements(html)).toBe(html);
  });

  it('is linear: 5,000 scripts and styles in well under a second', () => {
    const html = '<p>x</p><script>a()</script><style>.b{}</style>'.repeat(5000);
    const started = performance.now();
    const out = stripElements(html);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out).toBe('<p>x</p>'.repeat(5000));
  });

  // Inline SVG in HTML honours the self-closing flag (`<svg/>` is an empty foreign element), but
  // stripElements looks for `</svg` and so deletes everything up to the next `</svg>` — or, when
  // there is none, the rest of the page.
  it('a self-closing <svg ... /> removes only itself', () => {
    expect(stripElements('<p>Before</p><svg class="icon" viewBox="0 0 1 1"/><p>Important article text.</p>')).toBe(
      '<p>Before</p><p>Important article text.</p>',
    );
    expect(stripElements('<p>One</p><svg/><p>Two</p><svg><path d="M0"/></svg><p>Three</p>')).toBe('<p>One</p><p>Two</p><p>Three</p>');
  });

  // `<script>` written inside an HTML comment is not an element; treating it as one swallows the
  // page up to the next real `</script>`.
  it('a tag name mentioned inside an HTML comment does not swallow the page', () => {
    const html = '<!-- theme: put <script> tags at the end --><p>Article text.</p><script>x()</script><p>More.</p>';
    const out = stripElements(html);
    expect(out).toContain('<p>Article text.</p>');
    expect(out).toContain('<p>More.</p>');
    expect(out).not.toContain('x()');
  });
});

describe('maxNestingDepth', () => {
  it('counts element nesting exactly for well-formed markup', () => {
    expect(maxNestingDepth('')).toBe(0);
    expect(maxNestingDepth('just text')).toBe(0);
    expect(maxNestingDepth('<div><div></div><div><span>x</span></div></div>')).toBe(3);
    expect(maxNestingDepth('<div>'.repeat(50) + '</div>'.repeat(50))).toBe(50);
    expect(maxNestingDepth('<section><div></div></section>'.repeat(1000))).toBe(2);
  });

  it('100,000 nested divs: returns past the limit, fast', () => {
    const html = '<div>'.repeat(100_000) + 'x' + '</div>'.repeat(100_000);
    const started = performance.now();
    const depth = maxNestingDepth(html, 1000);
    expect(performance.now() - started).toBeLessThan(500);
    expect(depth).toBeGreaterThan(1000);
    // without a limit it measures the whole thing
    expect(maxNestingDepth(html)).toBe(100_000);
  });

  it('unclosed <p>, <li>, <td>, <option> and void elements do not count as nesting', () => {
    expect(maxNestingDepth('<ul>' + '<li>item'.repeat(5000) + '</ul>')).toBe(1);
    expect(maxNestingDepth('<div>' + '<p>para'.repeat(5000) + '</div>')).toBe(1);
    expect(maxNestingDepth('<table>' + '<tr><td>a<td>b'.repeat(3000) + '</table>')).toBe(1);
    expect(maxNestingDepth('<select>' + '<option>o'.repeat(3000) + '</select>')).toBe(1);
    expect(maxNestingDepth('<p>' + 'line<br>'.repeat(5000) + '<img src=x><hr><input><meta x><link y><wbr>'.repeat(500))).toBe(0);
  });

  it('stray end tags never drive the depth below zero', () => {
    expect(maxNestingDepth('</div></div></div><div><div></div></div>')).toBe(2);
  });
});

describe('preparePage', () => {
  it('returns the stripped page within the limits', () => {
    expect(preparePage('<html><body><p>a</p><script>b()</script></body></html>')).toBe('<html><body><p>a</p></body></html>');
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

  it('refuses 100,000 nested divs with too_deep in well under a second', () => {
    const html = '<html><body>' + '<div>'.repeat(100_000) + 'x' + '</div>'.repeat(100_000) + '</body></html>';
    const started = performance.now();
    const error = errorOf(() => preparePage(html));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(PageTooDeepError);
    expect(error.code).toBe('too_deep');
  });

  it('accepts exactly maxDepth and refuses maxDepth + 1', () => {
    const limits = { ...DEFAULT_LIMITS, maxDepth: 20 };
    const nested = (n: number) => '<div>'.repeat(n) + 'x' + '</div>'.repeat(n);
    expect(preparePage(nested(20), limits)).toContain('x');
    expect(errorOf(() => preparePage(nested(21), limits)).code).toBe('too_deep');
  });

  it('does not count depth hidden inside stripped elements', () => {
    const html = '<p>a</p><svg>' + '<g>'.repeat(5000) + '</g>'.repeat(5000) + '</svg><p>b</p>';
    expect(preparePage(html)).toBe('<p>a</p><p>b</p>');
  });

  it('broken pages with thousands of unclosed <p>/<li> pass', () => {
    const html = '<html><body><ul>' + '<li>item'.repeat(3000) + '</ul>' + '<p>para'.repeat(3000) + '</body></html>';
    expect(preparePage(html)).toBe(html);
  });
});

describe('tag scanners agree with their regex definitions', () => {
  /** The definitions: a start tag is `<` and a letter; a tag for depth is `<`, `/`?, a name, then up to `>`. */
  function depthByRegex(html: string): number {
    const voids = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', 'basefont', 'bgsound', 'frame', 'keygen', 'image']);
    const siblings = new Set(['p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'optgroup', 'tbody', 'thead', 'tfoot', 'rb', 'rt', 'rp', 'colgroup']);
    const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>/g;
    let depth = 0;
    let max = 0;
    for (let match = tag.exec(html); match !== null; match = tag.exec(html)) {
      const name = match[2].toLowerCase();
      if (voids.has(name) || siblings.has(name)) continue;
      depth = match[1] === '/' ? Math.max(0, depth - 1) : depth + 1;
      max = Math.max(max, depth);
    }
    return max;
  }
  const startTagsByRegex = (html: string) => (html.match(/<[a-zA-Z]/g) ?? []).length;

  it('on random markup, broken tags included', () => {
    const pieces = ['<', '>', '/', '</', 'div', 'DIV', 'p', 'br', 'x-y', '1', ' ', 'a', '<div>', '</div>', '<span class="a>b">', '<!--', '-->', '"', '\n'];
    let state = 9;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20000; i++) {
      const html = Array.from({ length: Math.floor(next() * 16) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
      expect(maxNestingDepth(html), JSON.stringify(html)).toBe(depthByRegex(html));
      expect(countStartTags(html), JSON.stringify(html)).toBe(startTagsByRegex(html));
    }
  });
});

describe('stripElements and case', () => {
  it('matches tag names in any ASCII case, and the Kelvin sign lowercases to a name character', () => {
    expect(stripElements('<p>a</p><ScRiPt>x()</sCrIpT><p>b</p>')).toBe('<p>a</p><p>b</p>');
    // `<svg` followed by K (U+212A) is `<svgk` once lowercased: another element, left alone.
    expect(stripElements('<svg\u212a>kept</svg\u212a>')).toBe('<svg\u212a>kept</svg\u212a>');
  });

  // U+0130 lowercases to two characters: searching a lowercased copy would cut a Turkish page
  // at shifted positions.
  it('cuts a page holding U+0130 (İ) at the right places', () => {
    expect(stripElements('<p>İSTANBUL İzmir</p><script>x()</script><p>Ankara</p>')).toBe('<p>İSTANBUL İzmir</p><p>Ankara</p>');
    expect(stripElements('<p>İİİ</p><script>x()</script><!--')).toBe('<p>İİİ</p><!--');
    expect(typeof stripElements('<scrİpt><SCRIPT type="application/ld+json">İİ<sty<svgx><!--')).toBe('string');
  });
});
