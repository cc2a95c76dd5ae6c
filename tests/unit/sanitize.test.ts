import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { parsePage } from '../../src/dom/engine.js';
import { moderate } from '../../src/pipeline.js';
import { escapeAttribute, escapeText, safeUrl, sanitizeNodes } from '../../src/segment/sanitize.js';
import type { EngineName } from '../../src/types.js';

const ENGINES: EngineName[] = ['linkedom', 'jsdom'];
const BASE = 'https://news.example/section/story.html';

/** Parse `inner` inside a container with the given engine and sanitize the container's children. */
function sanitizeWith(engine: EngineName, inner: string, base: string | null = BASE): string {
  const baseUrl = base ?? undefined;
  const page = parsePage(`<!DOCTYPE html><html><head></head><body><div id="root">${inner}</div></body></html>`, { engine, url: baseUrl });
  try {
    const root = page.document.getElementById('root')!;
    expect(root).not.toBeNull();
    return sanitizeNodes(Array.from(root.childNodes), baseUrl);
  } finally {
    page.dispose();
  }
}

/** The stored-XSS corpus of RELIABILITY.md §5 item 16, plus common filter-evasion variants. */
const XSS_CORPUS: Record<string, string> = {
  script: `<script>window.__xss=1</script><p>after script</p>`,
  scriptUpper: `<SCRIPT SRC=https://evil.test/x.js></SCRIPT>`,
  imgOnerror: `<img src=x onerror="window.__xss=1">`,
  imgOnerrorNoSrc: `<img onerror="window.__xss=1">`,
  svgOnload: `<svg onload="window.__xss=1"><circle r="1"></circle></svg>`,
  svgLink: `<svg><a xlink:href="javascript:window.__xss=1"><text x="0" y="10">svg link</text></a></svg>`,
  aJavascript: `<a href="javascript:window.__xss=1">click me</a>`,
  aJavascriptMixedCase: `<a href="JaVaScRiPt:window.__xss=1">mixed case</a>`,
  aJavascriptTab: `<a href="jav&#x09;ascript:window.__xss=1">tab inside</a>`,
  aJavascriptNewline: `<a href="java&#x0A;script:window.__xss=1">newline inside</a>`,
  aJavascriptLeadingSpace: `<a href="  &#x20;javascript:window.__xss=1">leading space</a>`,
  aJavascriptEntity: `<a href="&#106;&#97;vascript:window.__xss=1">entity</a>`,
  aJavascriptColonEntity: `<a href="javascript&colon;window.__xss=1">colon entity</a>`,
  aVbscript: `<a href="vbscript:msgbox(1)">vb</a>`,
  aData: `<a href="data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==">data link</a>`,
  imgData: `<img src="data:image/svg+xml,&lt;svg onload=alert(1)&gt;" alt="data img">`,
  imgJavascript: `<img src="javascript:window.__xss=1" alt="js img">`,
  iframeSrcdoc: `<iframe srcdoc="&lt;script&gt;window.__xss=1&lt;/script&gt;"></iframe>`,
  iframeSrc: `<iframe src="javascript:window.__xss=1"></iframe>`,
  style: `<style>@import 'https://evil.test/x.css'; body{background:url("javascript:window.__xss=1")}</style>`,
  attrs: `<p onclick="window.__xss=1" onmouseover="window.__xss=1" style="background:url(javascript:window.__xss=1)" title="x" data-x="y" id="i" class="c">payload attrs</p>`,
  abbrTitle: `<abbr title="&quot;&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;" onclick="window.__xss=1">abbr</abbr>`,
  imgAlt: `<img src="pic.png" alt="&quot; onerror=&quot;window.__xss=1">`,
  details: `<details open ontoggle="window.__xss=1"><summary>sum</summary>details body</details>`,
  form: `<form action="javascript:window.__xss=1"><button formaction="javascript:window.__xss=1">btn</button><input onfocus="window.__xss=1" autofocus></form>`,
  objectEmbed: `<object data="javascript:window.__xss=1"></object><embed src="javascript:window.__xss=1">`,
  baseMeta: `<base href="javascript:/"><meta http-equiv="refresh" content="0;url=javascript:window.__xss=1"><link rel="import" href="https://evil.test">`,
  template: `<template><script>window.__xss=1</script></template>`,
  tableBackground: `<table background="javascript:window.__xss=1"><tr><td onclick="window.__xss=1">cell</td></tr></table>`,
  marquee: `<marquee onstart="window.__xss=1">marquee text</marquee>`,
  videoPoster: `<video poster="javascript:window.__xss=1"><source onerror="window.__xss=1"></video>`,
  tdTitleBreakout: `<table><tr><td title="</td><script>window.__xss=1</script>">t</td></tr></table>`,
  // Last: these leave the parser inside raw text or foreign content, swallowing what follows.
  mathMxss: `<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">`,
  mathMxss2: `<math><mi xlink:href="javascript:window.__xss=1">math</mi></math>`,
  noscriptMxss: `<noscript><p title="</noscript><img src=x onerror=window.__xss=1>"></noscript>`,
  textarea: `<textarea></textarea><script>window.__xss=1</script></textarea>`,
  commentBreakout: `<!--><script>window.__xss=1</script>--><p>after comment</p>`,
  cdata: `<![CDATA[<script>window.__xss=1</script>]]>`,
};

/** What must never be in sanitized output, checked on the string and on a re-parse of it. */
function assertSafe(html: string): void {
  const lower = html.toLowerCase();
  expect(lower).not.toContain('<script');
  expect(lower).not.toMatch(/<(iframe|svg|math|style|object|embed|form|base|meta|link|template|noscript|textarea|input|button|video|source)\b/);
  // Attribute values are always double-quoted with `"` escaped inside, so blanking them leaves
  // only tag names, attribute names and text.
  const outsideValues = html.replace(/"[^"]*"/g, '""');
  expect(outsideValues).not.toMatch(/\son[a-z]+\s*=/i);
  expect(outsideValues).not.toMatch(/\s(style|srcdoc|formaction|background|poster|xlink:href|data-[a-z-]+|id|class)\s*=/i);
  expect(lower).not.toMatch(/(javascript|vbscript|data)\s*:/);

  // Re-parse as a browser would and inspect the live DOM, so no mutation on re-parse hides anything.
  const dom = new JSDOM(`<!DOCTYPE html><body>${html}</body>`);
  try {
    const all = Array.from(dom.window.document.body.querySelectorAll('*'));
    for (const element of all) {
      expect(['script', 'iframe', 'svg', 'math', 'style', 'object', 'embed', 'form', 'base', 'meta', 'link']).not.toContain(
        element.tagName.toLowerCase(),
      );
      for (const attribute of Array.from(element.attributes)) {
        expect(attribute.name.startsWith('on'), `${attribute.name} on <${element.tagName}>`).toBe(false);
        if (attribute.name === 'href' || attribute.name === 'src') {
          expect(new URL(attribute.value, BASE).protocol).toMatch(/^(https?|mailto):$/);
        }
      }
    }
  } finally {
    dom.window.close();
  }
}

describe.each(ENGINES)('sanitizeNodes on %s', (engine) => {
  it.each(Object.entries(XSS_CORPUS))('neutralises %s', (_name, payload) => {
    const out = sanitizeWith(engine, payload);
    assertSafe(out);
  });

  it('neutralises the whole corpus at once, and keeps the harmless text around it', () => {
    const out = sanitizeWith(engine, Object.values(XSS_CORPUS).join('\n'));
    assertSafe(out);
    expect(out).toContain('click me');
    expect(out).toContain('payload attrs');
    expect(out).toContain('after script');
    // javascript: links lose their href but keep their text
    expect(out).toMatch(/<a>click me<\/a>/);
    expect(out).toMatch(/<a>tab inside<\/a>/);
  });

  it('keeps allowed markup: lists, tables with colspan, links made absolute, images with alt', () => {
    const out = sanitizeWith(
      engine,
      `<ul class="x"><li>One</li><li><strong>Two</strong></li></ul><ol start="3"><li>Three</li></ol>
       <table class="t"><tr><th scope="col" colspan="2">Head</th></tr><tr><td rowspan="2">A</td><td>B</td></tr></table>
       <p>See <a href="/docs/page?x=1&amp;y=2" target="_blank" rel="nofollow">docs</a>, <a href="mailto:ed@news.example">mail</a>,
       <a href="https://other.example/a">abs</a> and <a href="//cdn.example/p">proto</a>.</p>
       <figure><img src="img/photo.jpg" alt="A photo" width="10" loading="lazy"><figcaption>Caption</figcaption></figure>
       <blockquote><p>Quote</p></blockquote><pre><code>let a = 1;</code></pre><time datetime="2026-01-02">Jan 2</time>`,
    );
    expect(out).toMatch(/<ul><li>One<\/li><li><strong>Two<\/strong><\/li><\/ul>/);
    expect(out).toContain('<ol start="3"><li>Three</li></ol>');
    expect(out).toContain('<th colspan="2" scope="col">Head</th>');
    expect(out).toContain('<td rowspan="2">A</td>');
    expect(out).toMatch(/<table>(<tbody>)?<tr>/);
    expect(out).toContain('<a href="https://news.example/docs/page?x=1&amp;y=2">docs</a>');
    expect(out).toContain('<a href="mailto:ed@news.example">mail</a>');
    expect(out).toContain('<a href="https://other.example/a">abs</a>');
    expect(out).toContain('<a href="https://cdn.example/p">proto</a>');
    expect(out).toContain('<img src="https://news.example/section/img/photo.jpg" alt="A photo">');
    expect(out).toContain('<figcaption>Caption</figcaption>');
    expect(out).toContain('<blockquote><p>Quote</p></blockquote>');
    expect(out).toContain('<pre><code>let a = 1;</code></pre>');
    expect(out).toContain('<time datetime="2026-01-02">Jan 2</time>');
    expect(out).not.toMatch(/target=|rel=|width=|loading=|class=/);
  });

  it('unwraps unknown elements but keeps their text', () => {
    const out = sanitizeWith(engine, `<div class="wrap"><section><span class="x">Kept <font color="red">words</font></span></section></div>`);
    expect(out).toBe('Kept words');
  });

  it('escapes text: markup-looking text stays text', () => {
    const out = sanitizeWith(engine, `<p>1 &lt; 2 &amp;&amp; 3 &gt; 2, &lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot;</p>`);
    expect(out).toBe('<p>1 &lt; 2 &amp;&amp; 3 &gt; 2, &lt;script&gt;alert(1)&lt;/script&gt; "q"</p>');
  });

  it('escapes attribute values', () => {
    const out = sanitizeWith(engine, `<abbr title="a &quot;b&quot; <c> &amp; d">x</abbr><img src="p.png" alt='say "hi" <b>'>`);
    expect(out).toContain('<abbr title="a &quot;b&quot; &lt;c&gt; &amp; d">x</abbr>');
    expect(out).toContain('alt="say &quot;hi&quot; &lt;b&gt;"');
  });

  it('without a base URL keeps plain relative links and drops scheme-bearing or protocol-relative ones', () => {
    const out = sanitizeWith(engine, `<a href="/rel/path">rel</a><a href="//evil.example/x">pr</a><a href="javascript:x">js</a>`, null);
    expect(out).toBe('<a href="/rel/path">rel</a><a>pr</a><a>js</a>');
  });
});

describe('safeUrl', () => {
  it('accepts http(s) and mailto, made absolute', () => {
    expect(safeUrl('/a b', BASE)).toBe('https://news.example/a%20b');
    expect(safeUrl('HTTP://X.EXAMPLE/p', BASE)).toBe('http://x.example/p');
    expect(safeUrl('mailto:a@b.example', BASE)).toBe('mailto:a@b.example');
  });

  it('refuses every other scheme, however disguised', () => {
    for (const url of [
      'javascript:alert(1)',
      ' JAVASCRIPT:alert(1)',
      'jav\tascript:alert(1)',
      'java\nscript:alert(1)',
      '\u0000javascript:alert(1)',
      'vbscript:x',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'ftp://x.example/',
      'blob:https://x.example/uuid',
    ]) {
      expect(safeUrl(url, BASE), JSON.stringify(url)).toBeNull();
      expect(safeUrl(url, undefined), JSON.stringify(url)).toBeNull();
    }
    expect(safeUrl('   ', BASE)).toBeNull();
  });

  it('escape helpers escape what they must', () => {
    expect(escapeText('<a & b>')).toBe('&lt;a &amp; b&gt;');
    expect(escapeAttribute('"><x a=\'1\'')).toBe('&quot;&gt;&lt;x a=\'1\'');
  });
});

describe.each(ENGINES)('the XSS corpus through moderate() on %s', (engine) => {
  it('no block html and no article html carries a payload', { timeout: 30000 }, () => {
    const model = loadModel();
    const paragraph =
      'The committee published its annual report on Monday, describing how the regional rail network carried more passengers than in any previous year.';
    const body = Object.values(XSS_CORPUS)
      .map((payload, i) => `<p>${paragraph} Part ${i}. ${payload}</p>`)
      .join('\n');
    const html = `<!DOCTYPE html><html lang="en"><head><title>Rail report</title></head><body><article><h1>Rail report</h1>${body}</article></body></html>`;
    const article = moderate(html, { engine, model, url: BASE });
    expect(article.blocks.length).toBeGreaterThan(5);
    for (const block of article.blocks) assertSafe(block.html);
    assertSafe(article.html);
    expect(article.markdown.toLowerCase()).not.toMatch(/javascript:|<script/);
    expect(article.text).toContain('The committee published');
  });
});
