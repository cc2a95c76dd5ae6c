import { describe, expect, it } from 'vitest';

import {
  formatTable,
  regressionTable,
  runExtractor,
  shortId,
  stripFixtureLabels,
  summarize,
  summaryTable,
  worstPages,
  type PageResult,
} from '../../src/eval/quality.js';

const TRUTH = 'The council approved the new budget on Monday after a long debate';

function page(id: string, winnow: string, readability: string): PageResult {
  return {
    id,
    url: `https://example.com/${id}`,
    results: {
      winnow: runExtractor(() => winnow, '', undefined, TRUTH),
      readability: runExtractor(() => readability, '', undefined, TRUTH),
    },
  };
}

describe('runExtractor', () => {
  it('scores the text and records no error', () => {
    const r = runExtractor((html) => html, TRUTH, undefined, TRUTH);
    expect(r).toMatchObject({ tp: 1, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1, error: null, predictedEmpty: false });
  });

  it('turns an exception into an empty prediction with the error kept', () => {
    const r = runExtractor(
      () => {
        throw new SyntaxError('bad css\nat line 3');
      },
      '<p>x</p>',
      undefined,
      TRUTH,
    );
    expect(r).toMatchObject({ tp: 0, fp: 0, fn: 1, precision: null, recall: 0, predictedEmpty: true });
    expect(r.error).toBe('SyntaxError: bad css');
  });
});

describe('summarize and worstPages', () => {
  const pages = [
    page('a', TRUTH, TRUTH),
    page('b', 'Subscribe to our newsletter', TRUTH),
    page('c', `${TRUTH} Related stories you may like`, TRUTH),
    page('d', TRUTH, `${TRUTH} Sign up now for free`),
  ];

  it('aggregates each extractor with the metric', () => {
    const [winnow, readability] = summarize(pages, ['winnow', 'readability']);
    expect(winnow.extractor).toBe('winnow');
    expect(winnow.pages).toBe(4);
    expect(winnow.errors).toBe(0);
    expect(readability.recall).toBe(1);
    expect(winnow.recall).toBeCloseTo(0.75, 12);
    expect(summaryTable([winnow, readability]).split('\n')[0]).toMatch(/^extractor\s+F1\s+precision\s+recall\s+empty\s+pages/);
  });

  it('ranks the pages where the subject loses most first', () => {
    const worst = worstPages(pages, 'winnow', 'readability', 2);
    expect(worst.map((r) => r.id)).toEqual(['b', 'c']);
    expect(worst[0].deltaF1).toBeCloseTo(-1, 12);
    const table = regressionTable(worst, 'winnow', 'readability');
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('-1.000');
  });
});

describe('stripFixtureLabels', () => {
  it('removes every data-winnow-label attribute and nothing else', () => {
    const html =
      '<body data-winnow-label="boilerplate"><article class="x" data-winnow-label=\'editorial\'>' +
      '<p data-winnow-label=promo>Ad</p><p data-winnow-label-note="keep" title="data-winnow-label">Text</p></article></body>';
    expect(stripFixtureLabels(html)).toBe(
      '<body><article class="x"><p>Ad</p><p data-winnow-label-note="keep" title="data-winnow-label">Text</p></article></body>',
    );
  });
});

describe('shortId', () => {
  it('shortens hash ids only', () => {
    expect(shortId('042bb7b5fedab6eac7db576522b89b93904c237d344bcbe14a6a5ab7f7335856')).toBe('042bb7b5fedab6ea');
    expect(shortId('ai-news-featured-1')).toBe('ai-news-featured-1');
  });
});

describe('formatTable', () => {
  it('aligns the first column left and the others right', () => {
    expect(formatTable(['name', 'n'], [['a', '10'], ['long', '2']])).toBe('name   n\n----  --\na     10\nlong   2');
  });
});
