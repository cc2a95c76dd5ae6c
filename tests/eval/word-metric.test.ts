import { describe, expect, it } from 'vitest';

import { aggregateWords, scoreWordPage, snippetRate, wordScore } from '../../src/eval/word-metric.js';

describe('wordScore (WCXB bag-of-words metric)', () => {
  it('scores overlap of word bags, case and punctuation ignored', () => {
    const s = wordScore('The cat, the cat!', 'the cat sat');
    // predicted bag {the:2, cat:2}, truth {the, cat, sat}: overlap 2
    expect(s.precision).toBeCloseTo(2 / 4);
    expect(s.recall).toBeCloseTo(2 / 3);
    expect(s.f1).toBeCloseTo((2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3));
  });

  it('empty truth: 1 when the prediction is empty too, else 0; empty prediction: 0', () => {
    expect(wordScore('', '').f1).toBe(1);
    expect(wordScore('words', '').f1).toBe(0);
    expect(wordScore('  ', 'some truth').f1).toBe(0);
  });
});

describe('snippet rates', () => {
  it('finds lowercased substrings; null without snippets', () => {
    expect(snippetRate('Hello World, again', ['hello world', 'GONE'])).toBe(0.5);
    expect(snippetRate('x', [])).toBeNull();
  });
});

describe('aggregateWords', () => {
  it('means page scores (F1 = mean of page F1s) and counts empty answers', () => {
    const a = scoreWordPage('a b c d', { text: 'a b c d', with: ['a b'], without: ['zz'] });
    const b = scoreWordPage('', { text: 'a b', with: ['a b'], without: [] });
    const agg = aggregateWords([a, b]);
    expect(agg.f1).toBeCloseTo(0.5);
    expect(agg.precision).toBeCloseTo(0.5);
    expect(agg.empty).toBe(1);
    expect(agg.withRate).toBeCloseTo(0.5);
    expect(agg.withoutRate).toBe(0);
  });
});
