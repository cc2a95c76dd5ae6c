import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePage } from '../../src/dom/engine.js';
import { preparePage } from '../../src/input/prepare.js';
import type { Block } from '../../src/segment/block.js';
import { LABEL_ATTRIBUTE, segment, type SegmentOptions } from '../../src/segment/segment.js';
import type { EngineName } from '../../src/types.js';

const ENGINES: EngineName[] = ['linkedom', 'jsdom'];
const FIXTURE = join(import.meta.dirname, '../../fixtures/pages/ai-news-featured-1/page.html');

function blocksOf(html: string, engine: EngineName, options: SegmentOptions = {}): Block[] {
  const page = parsePage(html, { engine, url: options.url });
  try {
    return segment(page.document, options);
  } finally {
    page.dispose();
  }
}

const doc = (body: string, bodyAttrs = '') => `<!DOCTYPE html><html><head><title>t</title></head><body${bodyAttrs}>${body}</body></html>`;
const texts = (blocks: Block[]) => blocks.map((b) => b.text);

describe.each(ENGINES)('segment on %s', (engine) => {
  it('marks the block right after an image-only element as after an image (a caption\'s place), and no other', () => {
    const blocks = blocksOf(
      doc(`<p>Lead paragraph.</p><figure><img src="a.jpg"><figcaption>A caption under it.</figcaption></figure>
        <div><img src="b.jpg"></div><div>A bare caption div.</div><p>Next paragraph.</p><p><img src="c.jpg"> Text beside an image.</p><p>Last.</p>`),
      engine,
    );
    expect(blocks.map((b) => [b.text, b.afterImage])).toEqual([
      ['Lead paragraph.', false],
      ['A caption under it.', true],
      ['A bare caption div.', true],
      ['Next paragraph.', false],
      ['Text beside an image.', false],
      ['Last.', false],
    ]);
  });

  it('paragraphs, headings, list items and a table each become blocks, in document order', () => {
    const blocks = blocksOf(
      doc(`<h1>Main title</h1><p>First paragraph.</p><h2>Sub heading</h2><ul><li>Item one</li><li>Item two</li></ul>
        <ol><li>Step one</li></ol>
        <table><thead><tr><th>Name</th><th>Qty</th></tr></thead><tbody><tr><td>Apples</td><td>3</td></tr><tr><td>Pears</td><td>5</td></tr></tbody></table>
        <blockquote><p>Quoted words.</p></blockquote>`),
      engine,
    );
    expect(blocks.map((b) => [b.tag, b.text])).toEqual([
      ['h1', 'Main title'],
      ['p', 'First paragraph.'],
      ['h2', 'Sub heading'],
      ['li', 'Item one'],
      ['li', 'Item two'],
      ['li', 'Step one'],
      ['table', 'Name\tQty\nApples\t3\nPears\t5'],
      ['p', 'Quoted words.'],
    ]);
    expect(blocks.map((b) => b.index)).toEqual(blocks.map((_, i) => i));
    expect(blocks[0].headingLevel).toBe(1);
    expect(blocks[2].headingLevel).toBe(2);
    expect(blocks[1].headingLevel).toBe(0);
    // list items know their list; the quote paragraph knows its blockquote
    expect(blocks[3].wrappers.map((w) => w.tag)).toEqual(['ul']);
    expect(blocks[3].wrappers[0].path).toBe(blocks[4].wrappers[0].path);
    expect(blocks[5].wrappers.map((w) => w.tag)).toEqual(['ol']);
    expect(blocks[5].wrappers[0].path).not.toBe(blocks[3].wrappers[0].path);
    expect(blocks[3].html).toBe('<li>Item one</li>');
    expect(blocks[7].wrappers.map((w) => w.tag)).toEqual(['blockquote']);
  });

  it('a data table is one block: tab-separated cells, newline rows, caption first; html keeps the table', () => {
    const blocks = blocksOf(
      doc(`<table><caption>Prices</caption><tr><th>City</th><th>Price</th></tr><tr><td><a href="/p">Paris</a></td><td><b>12</b> EUR</td></tr><tr><td colspan="2">Total: 12</td></tr></table>`),
      engine,
    );
    expect(blocks).toHaveLength(1);
    expect(blocks[0].tag).toBe('table');
    expect(blocks[0].text).toBe('Prices\nCity\tPrice\nParis\t12 EUR\nTotal: 12');
    expect(blocks[0].html).toMatch(/^<table>/);
    expect(blocks[0].html).toContain('<td colspan="2">Total: 12</td>');
    expect(blocks[0].html).toContain('<caption>Prices</caption>');
  });

  it('a layout table (block elements or long text in cells) is split into its parts', () => {
    const longCell = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const blocks = blocksOf(
      doc(`<table><tr><td><div class="nav"><p>Left column</p></div></td><td><p>Right column story text.</p><p>Second story paragraph.</p></td></tr></table>
        <table><tr><td>${longCell}</td><td>Side note</td></tr></table>`),
      engine,
    );
    expect(blocks.some((b) => b.tag === 'table')).toBe(false);
    expect(texts(blocks)).toEqual(['Left column', 'Right column story text.', 'Second story paragraph.', longCell, 'Side note']);
    // no cell separators in split blocks
    for (const b of blocks) expect(b.text).not.toContain('\t');
  });

  it('loose text beside block children becomes #run blocks, in order, with paths ::run(k)', () => {
    const blocks = blocksOf(doc(`<div class="post">Intro text with <b>bold</b> and <a href="/x">a link</a><p>A real paragraph.</p>Trailing loose text</div>`), engine);
    expect(blocks.map((b) => [b.tag, b.text])).toEqual([
      ['#run', 'Intro text with bold and a link'],
      ['p', 'A real paragraph.'],
      ['#run', 'Trailing loose text'],
    ]);
    expect(blocks[0].path).toBe('body > div:nth-of-type(1)::run(0)');
    expect(blocks[2].path).toBe('body > div:nth-of-type(1)::run(1)');
    expect(blocks[0].html).toMatch(/^<p>Intro text with <b>bold<\/b> and <a href="[^"]*">a link<\/a><\/p>$/);
    expect(blocks[0].linkCount).toBe(1);
  });

  it('<br><br> splits loose text into separate runs; a single <br> is a newline inside one run', () => {
    const blocks = blocksOf(doc(`<div>First old-style paragraph.<br><br>Second one, line one<br>line two<br> <br>Third one.</div>`), engine);
    expect(blocks.map((b) => b.tag)).toEqual(['#run', '#run', '#run']);
    expect(texts(blocks)).toEqual(['First old-style paragraph.', 'Second one, line one\nline two', 'Third one.']);
  });

  it('skips hidden elements (hidden, aria-hidden, display:none, visibility:hidden)', () => {
    const blocks = blocksOf(
      doc(`<p>Visible text.</p><p hidden>Secret one</p><div aria-hidden="true"><p>Secret two</p></div>
        <p style="color:red; display: none">Secret three</p><div style="DISPLAY:NONE"><p>Secret four</p></div>
        <p style="visibility:hidden">Secret five</p><p>Also <span style="display:none">Secret six</span>visible.</p>`),
      engine,
    );
    expect(texts(blocks)).toEqual(['Visible text.', 'Also visible.']);
    expect(blocks.map((b) => b.text).join(' ')).not.toMatch(/Secret/);
  });

  // Block text skips a hidden inline element, but block html (and so article.html / markdown)
  // still carries it: the sanitizer does not apply the segmenter's isHidden rule.
  it('hidden inline content is left out of block html too, not just block text', () => {
    const blocks = blocksOf(
      doc(`<p>Also <span style="display:none">Secret six</span>visible <span hidden>Secret seven</span>text <em aria-hidden="true">Secret eight</em>here.</p>`),
      engine,
    );
    expect(texts(blocks)).toEqual(['Also visible text here.']);
    expect(blocks[0].html).not.toMatch(/Secret/);
  });

  it('script, style, noscript and template content never reaches block text or html', () => {
    const html = doc(`<p>Before <script>var leak = "SCRIPTLEAK";</script>after.</p><style>.x{content:"STYLELEAK"}</style>
      <div>Loose <noscript>NOSCRIPTLEAK</noscript>run<template><p>TEMPLATELEAK</p></template></div><script>document.write("SCRIPTLEAK2")</script>`);
    for (const input of [html, preparePage(html)]) {
      const blocks = blocksOf(input, engine);
      expect(texts(blocks)).toEqual(['Before after.', 'Loose run']);
      expect(blocks.map((b) => b.text + b.html).join(' ')).not.toMatch(/LEAK|<script|<style/i);
    }
  });

  it('10 identical cards form one listing (size 10, one key); article paragraphs are not a listing', () => {
    const cards = Array.from(
      { length: 10 },
      (_, i) => `<div class="card card-${i}"><a href="/tool/${i}"><h3>Tool ${i}</h3><p>Tool ${i} does something useful for you.</p></a></div>`,
    ).join('');
    const blocks = blocksOf(
      doc(`<article><p>Paragraph one of the story is here.</p><p>Paragraph two goes on.</p><p>Paragraph three ends it.</p></article><div class="grid">${cards}</div>`),
      engine,
    );
    const article = blocks.filter((b) => b.text.startsWith('Paragraph'));
    const cardBlocks = blocks.filter((b) => b.text.startsWith('Tool'));
    expect(article).toHaveLength(3);
    expect(cardBlocks).toHaveLength(20);
    for (const b of article) {
      expect(b.listingSize).toBe(1);
      expect(b.listingKey).toBeNull();
    }
    for (const b of cardBlocks) expect(b.listingSize).toBe(10);
    const keys = new Set(cardBlocks.map((b) => b.listingKey));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toEqual(expect.any(String));
  });

  it('two different listings get different keys', () => {
    const rail = (cls: string) =>
      Array.from({ length: 4 }, (_, i) => `<li class="${cls}"><a href="/${cls}/${i}">${cls} entry number ${i}</a></li>`).join('');
    const blocks = blocksOf(doc(`<ul class="a">${rail('related')}</ul><ul class="b">${rail('sponsored')}</ul>`), engine);
    expect(blocks).toHaveLength(8);
    const keyA = blocks[0].listingKey;
    const keyB = blocks[4].listingKey;
    expect(keyA).not.toBeNull();
    expect(keyB).not.toBeNull();
    expect(keyA).not.toBe(keyB);
    expect(blocks.every((b) => b.listingSize === 4)).toBe(true);
  });

  it('paths are stable across two parses of the same page', () => {
    const html = readFileSync(FIXTURE, 'utf8');
    const first = blocksOf(preparePage(html), engine);
    const second = blocksOf(preparePage(html), engine);
    expect(first.length).toBeGreaterThan(100);
    expect(second.map((b) => b.path)).toEqual(first.map((b) => b.path));
    expect(new Set(first.map((b) => b.path)).size).toBe(first.length);
  });

  it('readLabels reads data-winnow-label from the nearest labeled ancestor-or-self', () => {
    const html = doc(
      `<header><a href="/">Home</a></header>
       <article data-winnow-label="editorial">
         <h1>Headline</h1>
         <p>Story paragraph.</p>
         <figure><figcaption data-winnow-label="boilerplate">Photo: Agency</figcaption></figure>
         <div class="ad" data-winnow-label="promo"><p>Buy the thing now.</p><div><span>Deep inside the ad</span></div></div>
         <p>Back to the story.</p>
         <p data-winnow-label="not-a-label">Invalid label inherits.</p>
       </article>`,
      ' data-winnow-label="boilerplate"',
    );
    const blocks = blocksOf(html, engine, { readLabels: true });
    expect(blocks.map((b) => [b.text, b.gold])).toEqual([
      ['Home', 'boilerplate'],
      ['Headline', 'editorial'],
      ['Story paragraph.', 'editorial'],
      ['Photo: Agency', 'boilerplate'],
      ['Buy the thing now.', 'promo'],
      ['Deep inside the ad', 'promo'],
      ['Back to the story.', 'editorial'],
      ['Invalid label inherits.', 'editorial'],
    ]);
    // Labels are never read unless asked, and never leak into block html.
    const plain = blocksOf(html, engine);
    expect(plain.every((b) => b.gold === null)).toBe(true);
    for (const b of [...blocks, ...plain]) {
      expect(b.html).not.toContain(LABEL_ATTRIBUTE);
      expect(b.html).not.toContain('data-');
    }
  });

  it('the fixture page: no block html carries the label attribute, and every block is labeled', () => {
    const html = readFileSync(FIXTURE, 'utf8');
    expect(html).toContain(LABEL_ATTRIBUTE);
    const blocks = blocksOf(preparePage(html), engine, { readLabels: true });
    expect(blocks.every((b) => b.gold !== null)).toBe(true);
    expect(blocks.some((b) => b.html.includes('winnow'))).toBe(false);
  });

  it('a "Sponsored" heading governs the cards after it (sectionHeading), not the blocks before it', () => {
    const card = (name: string) =>
      `<div class="promo-card"><a href="https://shop.example/${name}"><img src="/i/${name}.png" alt=""></a><p>The ${name} blender crushes ice in seconds, now 30% off.</p></div>`;
    const blocks = blocksOf(
      doc(`<article><p>The story paragraph comes first.</p></article>
        <section class="rail"><div class="rail-head"><h2>Sponsored</h2></div>${card('alpha')}${card('beta')}${card('gamma')}</section>`),
      engine,
    );
    const story = blocks.find((b) => b.text.startsWith('The story'))!;
    const cards = blocks.filter((b) => b.text.includes('blender'));
    expect(story.sectionHeading).toBeNull();
    expect(cards).toHaveLength(3);
    expect(cards.map((b) => b.sectionHeading)).toEqual(['Sponsored', 'Sponsored', 'Sponsored']);
    expect(cards.every((b) => b.listingSize === 3)).toBe(true);
  });

  it('each card title under "Sponsored" still belongs to the "Sponsored" section', () => {
    const card = (name: string) => `<div class="c"><h3>${name}</h3><p>${name} is the tool you need for every job, try it free.</p></div>`;
    const blocks = blocksOf(doc(`<section><h2>Sponsored</h2>${card('Acme')}${card('Globex')}${card('Initech')}</section>`), engine);
    const titles = blocks.filter((b) => b.tag === 'h3');
    expect(titles.map((b) => b.sectionHeading)).toEqual(['Sponsored', 'Sponsored', 'Sponsored']);
  });

  // Short plain-text siblings of one listing each "open a section" for the next one, so only the
  // first item of a list of brand names under "Sponsored" keeps that heading.
  it('short items of a listing do not become each other\'s section heading', () => {
    const blocks = blocksOf(
      doc(`<section><h2>Sponsored</h2><ul class="brands"><li>Acme Tools</li><li>Globex Paints</li><li>Initech Software</li></ul></section>`),
      engine,
    );
    const items = blocks.filter((b) => b.tag === 'li');
    expect(items.map((b) => b.text)).toEqual(['Acme Tools', 'Globex Paints', 'Initech Software']);
    expect(items.map((b) => b.sectionHeading)).toEqual(['Sponsored', 'Sponsored', 'Sponsored']);
  });

  it('links in block html are made absolute against the page URL', () => {
    const blocks = blocksOf(doc(`<p>See <a href="/docs/a?b=1">the docs</a> and <img src="img/x.png" alt="x">.</p>`), engine, {
      url: 'https://site.example/news/story.html',
    });
    expect(blocks[0].html).toContain('href="https://site.example/docs/a?b=1"');
    expect(blocks[0].html).toContain('src="https://site.example/news/img/x.png"');
  });
});

describe('paths are valid CSS selectors for element blocks (jsdom)', () => {
  function checkPaths(html: string): number {
    const page = parsePage(html, { engine: 'jsdom' });
    try {
      const blocks = segment(page.document).filter((b) => b.tag !== '#run');
      for (const block of blocks) {
        let found: Element | null = null;
        expect(() => (found = page.document.querySelector(block.path)), block.path).not.toThrow();
        expect(found, `no element for ${block.path}`).not.toBeNull();
        const element = found as unknown as Element;
        expect(element.tagName.toLowerCase()).toBe(block.tag);
        const text = (element.textContent ?? '').replace(/\s+/g, ' ');
        for (const word of block.text.split(/\s+/).slice(0, 5)) expect(text).toContain(word);
      }
      return blocks.length;
    } finally {
      page.dispose();
    }
  }

  it('on a hand-made page with skipped, hidden and repeated siblings', () => {
    const n = checkPaths(
      doc(`<script>x</script><div><p>One.</p><p hidden>Hidden.</p><span>s</span><p>Two.</p></div>
        <div><section><h2>Head</h2><p>Three.</p></section><section><p>Four.</p></section></div>
        <table><tr><td><div>Layout cell.</div></td></tr></table><ul><li>A</li><li>B <p>nested para</p></li></ul>`),
    );
    expect(n).toBeGreaterThanOrEqual(7);
  });

  it('on the full fixture page', () => {
    const n = checkPaths(preparePage(readFileSync(FIXTURE, 'utf8')));
    expect(n).toBeGreaterThan(100);
  });

  // MS Word / Outlook HTML is full of <o:p>; a colon in a tag name must be escaped in a selector.
  it('for tags with a colon (MS Word <o:p>)', () => {
    const n = checkPaths(doc(`<div class="WordSection1"><p class="MsoNormal">Intro</p><o:p>Text kept in an o:p element</o:p></div>`));
    expect(n).toBe(2);
  });
});
