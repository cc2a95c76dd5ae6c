import { describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../src/classify/model.js';
import { fallbackRegion, type FallbackVerdict } from '../../src/extract/fallback.js';
import { moderate } from '../../src/pipeline.js';
import type { Block } from '../../src/segment/block.js';
import type { Label } from '../../src/types.js';

/** A block at `path` with `words` words; everything else a plain paragraph. */
function block(index: number, path: string, words: number): Block {
  return {
    index,
    path,
    tag: 'p',
    text: Array.from({ length: words }, (_, i) => `w${i}`).join(' '),
    html: '',
    wordCount: words,
    linkWordCount: 0,
    linkCount: 0,
    links: [],
    buttons: [],
    imageCount: 0,
    afterImage: false,
    besideEmpty: false,
    ancestorTags: [],
    classTokens: [],
    classCues: [],
    wrappers: [],
    listingSize: 1,
    listingKey: null,
    repeatKey: null,
    listingUnit: null,
    headingLevel: 0,
    sectionHeading: null,
    gold: null,
    textNodes: [],
  };
}

function verdict(label: Label, editorial: number): FallbackVerdict {
  return { label, editorial };
}

// A catalog page: nav, a grid of course entries, a sidebar ad, a footer.
const NAV = 'body > header:nth-of-type(1) > nav:nth-of-type(1)';
const GRID = 'body > main:nth-of-type(1) > ul:nth-of-type(1)';
const blocks = [
  block(0, `${NAV} > a:nth-of-type(1)`, 2),
  block(1, `${NAV} > a:nth-of-type(2)`, 2),
  block(2, `${GRID} > li:nth-of-type(1)`, 14),
  block(3, `${GRID} > li:nth-of-type(2)`, 12),
  block(4, `${GRID} > li:nth-of-type(3)`, 16),
  block(5, 'body > main:nth-of-type(1) > aside:nth-of-type(1) > p:nth-of-type(1)', 20),
  block(6, 'body > footer:nth-of-type(1) > p:nth-of-type(1)', 30),
];

describe('fallbackRegion', () => {
  it('answers nothing when some block is editorial', () => {
    const verdicts = blocks.map((_, i) => verdict(i === 3 ? 'editorial' : 'boilerplate', 0.3));
    expect(fallbackRegion(blocks, verdicts, null)).toBeNull();
  });

  it('answers nothing when no block has text', () => {
    const empty = blocks.map((b) => ({ ...b, wordCount: 0 }));
    expect(fallbackRegion(empty, blocks.map(() => verdict('boilerplate', 0.01)), null)).toBeNull();
  });

  it('takes promo blocks only when every block with text is promo', () => {
    const editorial = [0.01, 0.01, 0.3, 0.25, 0.35, 0.3, 0.02];
    const verdicts = editorial.map((p) => verdict('promo', p));
    expect(fallbackRegion(blocks, verdicts, null)).toEqual([2, 3, 4, 5]);
  });

  it('takes what Readability kept, less promo, when it kept anything', () => {
    const verdicts = blocks.map((_, i) => verdict(i === 5 ? 'promo' : 'boilerplate', 0.1));
    const kept = new Float64Array([0, 0, 1, 1, 0.2, 1, 0]);
    expect(fallbackRegion(blocks, verdicts, kept)).toEqual([2, 3]);
  });

  it('otherwise takes the container whose blocks are most article-like, never its promo', () => {
    const editorial = [0.01, 0.01, 0.3, 0.25, 0.35, 0.3, 0.02];
    const verdicts = editorial.map((p, i) => verdict(i === 5 ? 'promo' : 'boilerplate', p));
    expect(fallbackRegion(blocks, verdicts, new Float64Array(blocks.length))).toEqual([2, 3, 4]);
  });

  it('widens to the parent when the article-like blocks sit in two sibling containers', () => {
    const editorial = [0.01, 0.01, 0.3, 0.25, 0.35, 0.3, 0.02];
    const verdicts = editorial.map((p) => verdict('boilerplate', p));
    expect(fallbackRegion(blocks, verdicts, null)).toEqual([2, 3, 4, 5]);
  });
});

describe('moderate on a page where no block is labeled editorial', () => {
  const shipped = loadModel();
  // The shipped model with a log-odds offset that rules editorial out: every block comes out
  // promo or boilerplate, as happens on catalog and product pages the model has not seen.
  const noEditorial: Model = {
    ...shipped,
    bias: shipped.nb.classes.map((name) => (name === 'editorial' ? -1000 : 0)),
  };
  const html = `<!doctype html><html lang="en"><head><title>Course catalog | Harbour College</title></head><body>
    <nav><a href="/">Home</a> <a href="/courses">Courses</a> <a href="/about">About</a></nav>
    <main><h1>Evening courses this autumn</h1>
      <p>Our evening courses start in the second week of September and run for ten weeks, two hours a week.</p>
      <p>Pottery for beginners teaches throwing, trimming and glazing, with all clay and firing included in the fee.</p>
      <p>Conversational Spanish is for people who already know the basics and want to speak with more confidence.</p>
    </main>
    <footer><p>Harbour College, 12 Quay Street. All rights reserved.</p></footer></body></html>`;

  it('returns the likeliest main region, flagged, at the confidence the model gave it', () => {
    const article = moderate(html, { model: noEditorial });
    expect(article.fallback).toBe(true);
    expect(article.text).toContain('Our evening courses start');
    expect(article.text).not.toContain('All rights reserved');
    const chosen = article.blocks.filter((b) => b.label === 'editorial');
    expect(chosen.length).toBeGreaterThan(0);
    for (const b of chosen) {
      expect(b.confidence).toBe(b.scores.editorial);
      expect(b.rawLabel).not.toBe('editorial');
    }
  });

  it('is not flagged when the model finds the article itself', () => {
    const article = moderate(html, { model: shipped });
    expect(article.fallback).toBe(false);
  });
});
