import { describe, expect, it } from 'vitest';

import { alignBlocks, wordTokens } from '../../src/corpus/align.js';
import { labelCorpusPage, type WcxbPage } from '../../src/corpus/wcxb.js';

const PARAGRAPH_1 = 'The river flooded the lower town on Tuesday, and the council opened two shelters before nightfall.';
const PARAGRAPH_2 = 'Residents said the water rose faster than in 1998, when the same streets were under a metre of water.';

describe('wordTokens', () => {
  it('lowercases runs of letters, digits and underscore', () => {
    expect(wordTokens("Don't stop — 42 Élan_x!")).toEqual(['don', 't', 'stop', '42', 'élan_x']);
  });
});

describe('alignBlocks', () => {
  it('marks blocks whose words are in the truth, tolerant to whitespace and punctuation', () => {
    const truth = `Flood in the lower town\n\n${PARAGRAPH_1}\n\n${PARAGRAPH_2}`;
    const blocks = ['Home', 'News', 'Flood in the lower town', PARAGRAPH_1.replace(/,/g, ' ;').toUpperCase(), PARAGRAPH_2, 'Share this story', 'Subscribe to our newsletter for daily news'];
    const { blocks: aligned, truthCovered } = alignBlocks(blocks, truth);
    expect(aligned.map((b) => b.editorial)).toEqual([false, false, true, true, true, false, false]);
    expect(truthCovered).toBe(1);
  });

  it('accepts a paragraph the truth words slightly differently, rejects a teaser sharing one phrase', () => {
    const truth = PARAGRAPH_1;
    const edited = PARAGRAPH_1.replace('two shelters', 'three shelters');
    const teaser = 'Council opened two shelters: read our guide to flood insurance claims and what they cover';
    const { blocks } = alignBlocks([edited, teaser], truth);
    expect(blocks[0].editorial).toBe(true);
    expect(blocks[1].editorial).toBe(false);
  });

  it('consumes the truth once: a repeated paragraph counts once', () => {
    const { blocks } = alignBlocks([PARAGRAPH_1, PARAGRAPH_1], PARAGRAPH_1);
    expect(blocks.map((b) => b.editorial)).toEqual([true, false]);
  });

  it('takes a short block only where the truth has it between its aligned neighbours', () => {
    const truth = `${PARAGRAPH_1}\n\nUpdate\n\n${PARAGRAPH_2}\n\nMore`;
    // "More" before the article is a menu entry; "Update" between the paragraphs is the body's subheading.
    const { blocks } = alignBlocks(['More', PARAGRAPH_1, 'Update', PARAGRAPH_2], truth);
    expect(blocks.map((b) => b.editorial)).toEqual([false, true, true, true]);
  });

  it('handles an empty truth and empty blocks', () => {
    const { blocks, truthCovered } = alignBlocks(['', PARAGRAPH_1], '');
    expect(blocks.every((b) => !b.editorial)).toBe(true);
    expect(truthCovered).toBe(1);
  });
});

describe('labelCorpusPage', () => {
  it('labels an HTML page from its ground-truth text, with provenance', () => {
    const html = `<html><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
      <article><h1>Flood in the lower town</h1><p>${PARAGRAPH_1}</p><p>${PARAGRAPH_2}</p></article>
      <aside><h3>Related</h3><ul><li><a href="/a">Storm damage in the valley costs millions</a></li></ul></aside>
      <footer>Copyright 2026 Example Gazette. All rights reserved.</footer></body></html>`;
    const page: WcxbPage = {
      id: 't1',
      url: 'https://example.com/flood',
      html,
      truth: `Flood in the lower town\n\n${PARAGRAPH_1}\n\n${PARAGRAPH_2}`,
      title: 'Flood in the lower town',
      with: [],
      without: [],
      pageType: 'article',
    };
    const labeled = labelCorpusPage(page);
    const byText = (needle: string) => labeled.gold[labeled.analysis.blocks.findIndex((b) => b.text.includes(needle))];
    expect(byText('The river flooded')).toBe('editorial');
    expect(byText('Residents said')).toBe('editorial');
    expect(byText('Copyright')).toBe('boilerplate');
    expect(byText('Storm damage')).toBe('boilerplate');
    expect(labeled.meta.source).toBe('corpus-aligned');
    expect(labeled.meta.provenance?.review).toBe('aligned, not reviewed');
  });
});
