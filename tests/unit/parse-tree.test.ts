import { describe, expect, it } from 'vitest';
import { parsePage } from '../../src/dom/engine.js';
import { analyzePage } from '../../src/pipeline.js';
import type { EngineName } from '../../src/types.js';

const ENGINES: EngineName[] = ['linkedom', 'jsdom'];

/** Text nodes of the body joined by spaces, whitespace-normalised. */
function bodyText(html: string, engine: EngineName = 'linkedom'): string {
  const page = parsePage(html, { engine });
  try {
    const parts: string[] = [];
    const walker = page.document.createTreeWalker(page.document.body, 4 /* NodeFilter.SHOW_TEXT */);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) parts.push((node as Text).data);
    return parts.join(' ').replace(/\s+/g, ' ').trim();
  } finally {
    page.dispose();
  }
}

const ARTICLE = '<p>The whole article text.</p>';

// Shapes where linkedom's own parser (htmlparser2) built another tree than the HTML standard's,
// each seen on real pages of wcxb-dev (page ids in bench/parser-check's "before" run).
describe.each(ENGINES)('the body the HTML standard builds, on %s', (engine) => {
  it('a <meta http-equiv> before <head> (wcxb 4414)', () => {
    const html = `<!DOCTYPE html><html lang="en"><meta http-equiv="content-type" content="text/html;charset=utf-8"><head><title>T</title></head><body>${ARTICLE}</body></html>`;
    expect(bodyText(html, engine)).toBe('The whole article text.');
  });

  it('a <link> before <head> (wcxb 2973)', () => {
    expect(bodyText(`<!DOCTYPE html><html><link rel="preload" href="/a.css"><head></head><body>${ARTICLE}</body></html>`, engine)).toBe('The whole article text.');
  });

  it('elements between </head> and <body> (wcxb 2893, 0399, 0595)', () => {
    const html = `<html><head><title>T</title></head><link rel="stylesheet" href="/x.css"><div>Before body.</div><body>${ARTICLE}</body></html>`;
    expect(bodyText(html, engine)).toBe('Before body. The whole article text.');
  });

  it('<head> and <body> without <html> (wcxb 0452)', () => {
    expect(bodyText(`<!DOCTYPE html><head><meta charset="utf-8"><title>T</title></head><body>${ARTICLE}</body>`, engine)).toBe('The whole article text.');
  });

  it('a second <html> start tag (wcxb 4588)', () => {
    expect(bodyText(`<!DOCTYPE html><html class="a"><html lang="en"><head></head><body>${ARTICLE}</body></html>`, engine)).toBe('The whole article text.');
  });

  it('<![CDATA[ in HTML content is a comment up to the next `>`, not the rest of the page (wcxb 4311)', () => {
    expect(bodyText(`<html><body><![CDATA[<div id="top"></div>${ARTICLE}</body></html>`, engine)).toBe('The whole article text.');
  });

  it('flow content inside <head> opens the body (wcxb 0135)', () => {
    expect(bodyText(`<html><head><title>T</title><div>Banner.</div></head><body>${ARTICLE}</body></html>`, engine)).toBe('Banner. The whole article text.');
  });

  it('content after </body> and </html> joins the body', () => {
    expect(bodyText(`<html><body><p>One.</p></body></html><p>Two.</p>`, engine)).toBe('One. Two.');
  });

  it('a page without <html>, <head> or <body> gets a body', () => {
    expect(bodyText(`<title>T</title>${ARTICLE}`, engine)).toBe('The whole article text.');
  });

  it('HTML inside <svg> breaks out of it and stays, the svg goes (wcxb 0573)', () => {
    const html = `<button><svg class="icon"><use href="#icon-menu"></use><div class="visually-hidden"><title>menu</title></div></svg></button>${ARTICLE}`;
    expect(bodyText(html, engine)).toBe('menu The whole article text.');
  });

  it('an unclosed <svg> ends where the parser ends it, not at the next </svg> (wcxb 4289)', () => {
    const html = `<ul><li><a href="#"><svg width="18"></a><ul><li>Choose your language</li></ul></li></ul>${ARTICLE}<svg><path d="M0"/></svg>`;
    expect(bodyText(html, engine)).toBe('Choose your language The whole article text.');
  });
});

describe.each(ENGINES)('tag names in attribute values are text, on %s', (engine) => {
  it('<meta content="How to inline <svg> icons"> before the article', () => {
    const html = `<html><head><meta name="description" content="How to inline <svg> icons"></head><body>${ARTICLE}</body></html>`;
    expect(bodyText(html, engine)).toBe('The whole article text.');
    const page = parsePage(html, { engine });
    expect(page.document.querySelector('meta[name="description"]')?.getAttribute('content')).toBe('How to inline <svg> icons');
    page.dispose();
  });

  it('<img alt="<style>"> before the article', () => {
    expect(bodyText(`<html><body><img alt="<style>" src="a.png">${ARTICLE}</body></html>`, engine)).toBe('The whole article text.');
  });

  it('<a title="the <script> element"> before the article', () => {
    expect(bodyText(`<html><body><a title="the <script> element" href="/s">Scripts</a>${ARTICLE}</body></html>`, engine)).toBe('Scripts The whole article text.');
  });
});

describe.each(ENGINES)('cut elements, on %s', (engine) => {
  it('script, style, svg and template content is absent from the tree', () => {
    const html =
      '<html><head><style>p::after { content: "in style" }</style><script>var inHead = 1;</script></head><body>' +
      '<p>a</p><script>var x = "<p>in script</p>";</script><p>b</p>' +
      '<svg viewBox="0 0 1 1"><text>in svg</text><foreignObject><p>in foreign</p></foreignObject></svg><p>c</p>' +
      '<svg class="icon"/><p>d</p>' +
      '<template id="t"><p>in template</p></template><p>e</p>' +
      '<table><script>inTable()</script><tr><td>f</td></tr></table></body></html>';
    const page = parsePage(html, { engine });
    const { document } = page;
    expect(document.querySelectorAll('script, style, svg, template')).toHaveLength(0);
    expect(document.documentElement.textContent?.replace(/\s+/g, '')).toBe('abcdef');
    page.dispose();
  });

  it('keeps JSON-LD scripts with their text, with any quoting and case of the type', () => {
    const html =
      '<html><head><script type="application/ld+json">{"@type":"NewsArticle","headline":"A"}</script>' +
      "<script TYPE='Application/LD+JSON'>{\"author\":\"B\"}</script><script>track()</script></head><body><p>x</p></body></html>";
    const page = parsePage(html, { engine });
    const scripts = Array.from(page.document.querySelectorAll('script'), (script) => script.textContent);
    expect(scripts).toEqual(['{"@type":"NewsArticle","headline":"A"}', '{"author":"B"}']);
    page.dispose();
  });

  it('Readability still reads the byline and date from JSON-LD', () => {
    const jsonLd = JSON.stringify({
      '@context': 'https://schema.org',
      '@type': 'NewsArticle',
      headline: 'A headline about parsing',
      author: { '@type': 'Person', name: 'Ada Writer' },
      datePublished: '2026-01-02T03:04:05Z',
    });
    const paragraphs = '<p>Parsing pages as a browser does keeps every word of the article where a reader sees it, whatever the markup before it.</p>'.repeat(8);
    const html = `<html><head><title>A headline about parsing</title><script type="application/ld+json">${jsonLd}</script></head><body><article><h1>A headline about parsing</h1>${paragraphs}</article></body></html>`;
    const analysis = analyzePage(html, { engine });
    expect(analysis.metadata.byline).toBe('Ada Writer');
    expect(analysis.metadata.publishedTime).toBe('2026-01-02T03:04:05Z');
  });

  it('keeps attributes in page order', () => {
    const page = parsePage('<p id="a" class="b c" data-x="1" title="t">x</p>', { engine });
    expect(Array.from(page.document.querySelector('p')!.attributes, (attr) => attr.name)).toEqual(['id', 'class', 'data-x', 'title']);
    page.dispose();
  });
});
