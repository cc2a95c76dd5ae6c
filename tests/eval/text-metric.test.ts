import { describe, expect, it } from 'vitest';

import {
  aggregate,
  pageF1,
  pagePrecisionRecall,
  scorePage,
  scoreText,
  shingles,
  tokenize,
} from '../../src/eval/text-metric.js';

const ARTICLE = 'The quick brown fox jumps over the lazy dog near the river bank today';

describe('tokenize', () => {
  it('keeps runs of letters, digits and underscore, case kept, drops everything else', () => {
    expect(tokenize('Hello, World! snake_case 2019: state-of-the-art don’t')).toEqual([
      'Hello',
      'World',
      'snake_case',
      '2019',
      'state',
      'of',
      'the',
      'art',
      'don',
      't',
    ]);
  });

  it('treats Unicode letters and digits as token characters', () => {
    expect(tokenize('Café naïve — Größe ١٢٣ 東京')).toEqual(['Café', 'naïve', 'Größe', '١٢٣', '東京']);
  });

  it('gives no tokens for empty or punctuation-only text', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' \n—…!? ')).toEqual([]);
  });
});

describe('shingles', () => {
  it('counts every window of 4 tokens', () => {
    const s = shingles(tokenize('a b c d e f'));
    expect([...s.entries()]).toEqual([
      ['a b c d', 1],
      ['b c d e', 1],
      ['c d e f', 1],
    ]);
  });

  it('gives one shorter shingle for 1-3 tokens and none for an empty text', () => {
    expect([...shingles(['one'])]).toEqual([['one', 1]]);
    expect([...shingles(['one', 'two', 'three'])]).toEqual([['one two three', 1]]);
    expect(shingles([]).size).toBe(0);
  });

  it('is a multiset: repeated windows are counted', () => {
    const s = shingles(tokenize('a b c d a b c d'));
    expect(s.get('a b c d')).toBe(2);
    expect([...s.values()].reduce((x, y) => x + y, 0)).toBe(5);
  });

  it('honours another window length', () => {
    expect([...shingles(['a', 'b', 'c'], 2).keys()]).toEqual(['a b', 'b c']);
  });
});

describe('scorePage', () => {
  it('scores identical texts P = R = 1', () => {
    const s = scorePage(ARTICLE, ARTICLE);
    expect(s).toEqual({ tp: 1, fp: 0, fn: 0 });
    expect(pagePrecisionRecall(s)).toEqual({ precision: 1, recall: 1 });
    expect(aggregate([{ ...s, predictedEmpty: false }])).toEqual({ precision: 1, recall: 1, f1: 1, empty: 0, pages: 1 });
  });

  it('scores disjoint texts 0', () => {
    const s = scorePage('Subscribe to our newsletter for more', ARTICLE);
    expect(s.tp).toBe(0);
    expect(pagePrecisionRecall(s)).toEqual({ precision: 0, recall: 0 });
    expect(aggregate([{ ...s, predictedEmpty: false }]).f1).toBe(0);
  });

  it('normalizes TP, FP and FN by TP+FP+FN', () => {
    // truth a-b-c-d, b-c-d-e; prediction a-b-c-d, b-c-d-x: TP 1, FP 1, FN 1
    const s = scorePage('a b c d x', 'a b c d e');
    expect(s.tp).toBeCloseTo(1 / 3, 12);
    expect(s.fp).toBeCloseTo(1 / 3, 12);
    expect(s.fn).toBeCloseTo(1 / 3, 12);
  });

  it('ignores punctuation and whitespace but keeps case', () => {
    expect(scorePage('The quick, brown fox… jumps!', 'The  quick brown\nfox jumps')).toEqual({ tp: 1, fp: 0, fn: 0 });
    const cased = scorePage('the quick brown fox jumps', 'The quick brown fox jumps');
    // "the quick brown fox" differs from "The quick brown fox"; "quick brown fox jumps" matches
    expect(cased.tp).toBeCloseTo(1 / 3, 12);
    expect(cased.fp).toBeCloseTo(1 / 3, 12);
    expect(cased.fn).toBeCloseTo(1 / 3, 12);
  });

  it('matches short texts as one shorter shingle', () => {
    expect(scorePage('Breaking news', 'Breaking news!')).toEqual({ tp: 1, fp: 0, fn: 0 });
    // "Breaking news" and "Breaking news today" are different single shingles
    expect(scorePage('Breaking news', 'Breaking news today')).toEqual({ tp: 0, fp: 0.5, fn: 0.5 });
  });

  it('counts duplicated shingles as multisets', () => {
    // truth has "a b c d" twice (5 shingles), prediction once: TP 1, FN 4
    const missing = scorePage('a b c d', 'a b c d a b c d');
    expect(missing.tp).toBeCloseTo(0.2, 12);
    expect(missing.fp).toBe(0);
    expect(missing.fn).toBeCloseTo(0.8, 12);
    // prediction repeats the article: the second copy is all false positives
    const doubled = scorePage(`${ARTICLE} ${ARTICLE}`, ARTICLE);
    const n = tokenize(ARTICLE).length - 3; // shingles of one copy
    const predTotal = 2 * tokenize(ARTICLE).length - 3;
    expect(pagePrecisionRecall(doubled).precision).toBeCloseTo(n / predTotal, 12);
    expect(pagePrecisionRecall(doubled).recall).toBe(1);
  });

  it('leaves all counts 0 when both texts are empty', () => {
    expect(scorePage('', '...')).toEqual({ tp: 0, fp: 0, fn: 0 });
  });
});

describe('aggregate', () => {
  it('leaves an empty prediction out of precision, counts it in recall and in empty', () => {
    const good = scoreText(ARTICLE, ARTICLE);
    const empty = scoreText('  ', ARTICLE);
    expect(empty).toEqual({ tp: 0, fp: 0, fn: 1, predictedEmpty: true });
    expect(pagePrecisionRecall(empty)).toEqual({ precision: null, recall: 0 });
    const agg = aggregate([good, empty]);
    expect(agg.precision).toBe(1);
    expect(agg.recall).toBe(0.5);
    expect(agg.f1).toBeCloseTo(2 / 3, 12);
    expect(agg.empty).toBe(1);
    expect(agg.pages).toBe(2);
  });

  it('leaves a page with an empty truth out of recall', () => {
    const s = scoreText('Cookie settings accept all', '');
    expect(pagePrecisionRecall(s)).toEqual({ precision: 0, recall: null });
    const agg = aggregate([s, scoreText(ARTICLE, ARTICLE)]);
    expect(agg.precision).toBe(0.5);
    expect(agg.recall).toBe(1);
  });

  it('scores a page with FP = FN = 0 as 1 for both, even when both texts are empty', () => {
    const s = scoreText('', '');
    expect(pagePrecisionRecall(s)).toEqual({ precision: 1, recall: 1 });
    expect(aggregate([s])).toEqual({ precision: 1, recall: 1, f1: 1, empty: 1, pages: 1 });
  });

  it('reproduces a hand-computed two-page example (F1 of the means)', () => {
    // Page 1: truth "The cat sat on the mat" → 3 shingles; prediction adds 5 words → 8 shingles,
    // 3 of them true: TP 3, FP 5, FN 0 → P 3/8, R 1.
    const p1 = scoreText('The cat sat on the mat. Subscribe now to our newsletter', 'The cat sat on the mat');
    expect(p1.tp).toBeCloseTo(3 / 8, 12);
    expect(p1.fp).toBeCloseTo(5 / 8, 12);
    expect(p1.fn).toBe(0);
    // Page 2: truth "alpha beta gamma delta epsilon" → 2 shingles; prediction "alpha beta gamma delta"
    // → 1 shingle, true: TP 1, FP 0, FN 1 → P 1, R 1/2.
    const p2 = scoreText('alpha beta gamma delta', 'alpha beta gamma delta epsilon');
    expect(pagePrecisionRecall(p2)).toEqual({ precision: 1, recall: 0.5 });
    // P = (3/8 + 1)/2 = 0.6875, R = (1 + 1/2)/2 = 0.75, F1 = 2PR/(P+R) = 33/46
    const agg = aggregate([p1, p2]);
    expect(agg.precision).toBeCloseTo(0.6875, 12);
    expect(agg.recall).toBeCloseTo(0.75, 12);
    expect(agg.f1).toBeCloseTo(33 / 46, 12);
    expect(agg.f1).not.toBeCloseTo((pageF1(p1) + pageF1(p2)) / 2, 3);
    expect(agg.empty).toBe(0);
    expect(agg.pages).toBe(2);
  });

  it('reports zeros over no pages', () => {
    expect(aggregate([])).toEqual({ precision: 0, recall: 0, f1: 0, empty: 0, pages: 0 });
  });
});
