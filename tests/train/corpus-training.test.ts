import { describe, expect, it } from 'vitest';

import { labelCorpusPage, type WcxbPage } from '../../src/corpus/wcxb.js';
import { labelFixture, loadFixtures } from '../../src/train/fixtures.js';
import { fitModel } from '../../src/train/train.js';

const PARAGRAPH = 'The harbour board approved the new ferry timetable after a long debate about winter crossings and fares.';

function corpusPage(id: string): WcxbPage {
  return {
    id,
    url: `https://example.org/${id}`,
    html: `<html><body><nav><a href="/">Home</a> <a href="/about">About us</a></nav><article><h1>Ferry timetable approved</h1><p>${PARAGRAPH}</p></article><footer>Contact the newsroom at any time of day.</footer></body></html>`,
    truth: `Ferry timetable approved\n\n${PARAGRAPH}`,
    title: 'Ferry timetable approved',
    with: [],
    without: [],
    pageType: 'article',
  };
}

describe('training with aligned corpus pages', () => {
  const fixtures = loadFixtures().slice(0, 6).map((page) => labelFixture(page));
  const corpus = [labelCorpusPage(corpusPage('a')), labelCorpusPage(corpusPage('b'))];

  it('records what the model learned from, per source and corpus', () => {
    const model = fitModel(fixtures, { extraPages: corpus, corpusWeight: 0.2, corpora: [{ name: 'test corpus', version: '0.1' }] });
    expect(model.trainedOn.sources).toEqual({ 'hand-written': 6, 'corpus-aligned': 2 });
    expect(model.trainedOn.corpora).toEqual([{ name: 'test corpus', version: '0.1', pages: 2, weight: 0.2 }]);
  });

  it('keeps the class balance of the labeled pages (priors move little)', () => {
    const alone = fitModel(fixtures, { context: false });
    const mixed = fitModel(fixtures, { context: false, extraPages: corpus, corpusWeight: 0.5 });
    // Every class's token mass grows by the same share; priors (counted in blocks) move a little.
    alone.nb.logPriors.forEach((prior, c) => expect(Math.abs(mixed.nb.logPriors[c] - prior)).toBeLessThan(0.25));
  });
});
