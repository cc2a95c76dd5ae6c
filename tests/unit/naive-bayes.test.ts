import { describe, expect, it } from 'vitest';
import {
  scoreNaiveBayes,
  softmax,
  topFeatures,
  TopContributions,
  trainNaiveBayes,
  type TrainingExample,
} from '../../src/classify/naive-bayes.js';

const bag = (entries: Record<string, number>) => new Map(Object.entries(entries));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * Tiny corpus, counts per class:
 *   x: a=3 b=0   y: a=1 b=1   z: a=0 b=1
 *   totals a=4 b=2, 3 documents (a: 2, b: 1), vocabulary 3.
 */
const corpus: TrainingExample[] = [
  { features: bag({ x: 2, y: 1 }), label: 'a' },
  { features: bag({ y: 1, z: 1 }), label: 'b' },
  { features: bag({ x: 1 }), label: 'a' },
];

describe('trainNaiveBayes: log-space Lidstone estimates', () => {
  it('gives the exact smoothed log likelihoods and priors (alpha 0.5, no pruning)', () => {
    const model = trainNaiveBayes(['a', 'b'], corpus, { alpha: 0.5, minCount: 1 });
    expect(model.classes).toEqual(['a', 'b']);
    expect(model.alpha).toBe(0.5);
    expect(Object.keys(model.logLikelihoods).sort()).toEqual(['x', 'y', 'z']);
    // P(t|c) = (count + alpha) / (total_c + alpha * |V|), |V| = 3
    const a = 4 + 0.5 * 3;
    const b = 2 + 0.5 * 3;
    const expected: Record<string, [number, number]> = {
      x: [Math.log(3.5 / a), Math.log(0.5 / b)],
      y: [Math.log(1.5 / a), Math.log(1.5 / b)],
      z: [Math.log(0.5 / a), Math.log(1.5 / b)],
    };
    for (const [token, [la, lb]] of Object.entries(expected)) {
      expect(model.logLikelihoods[token][0]).toBeCloseTo(la, 5);
      expect(model.logLikelihoods[token][1]).toBeCloseTo(lb, 5);
    }
    // Priors with add-one over documents: (n_c + 1) / (N + |C|)
    expect(model.logPriors[0]).toBeCloseTo(Math.log(3 / 5), 5);
    expect(model.logPriors[1]).toBeCloseTo(Math.log(2 / 5), 5);
    // Each class's likelihoods form a distribution over the vocabulary.
    for (const c of [0, 1]) {
      expect(sum(Object.values(model.logLikelihoods).map((row) => Math.exp(row[c])))).toBeCloseTo(1, 5);
    }
  });

  it('uses alpha as given (alpha 1 = Laplace)', () => {
    const model = trainNaiveBayes(['a', 'b'], corpus, { alpha: 1, minCount: 1 });
    expect(model.logLikelihoods.x[0]).toBeCloseTo(Math.log(4 / 7), 5);
    expect(model.logLikelihoods.x[1]).toBeCloseTo(Math.log(1 / 5), 5);
    expect(model.logLikelihoods.z[1]).toBeCloseTo(Math.log(2 / 5), 5);
  });

  it('defaults to minCount 2: tokens seen less than twice are pruned before normalising', () => {
    const model = trainNaiveBayes(['a', 'b'], corpus, { alpha: 0.5 });
    // z has total weight 1 < 2: gone, and the vocabulary shrinks to {x, y}: totals a=4, b=1.
    expect(Object.keys(model.logLikelihoods).sort()).toEqual(['x', 'y']);
    expect(model.logLikelihoods.x[0]).toBeCloseTo(Math.log(3.5 / (4 + 1)), 5);
    expect(model.logLikelihoods.x[1]).toBeCloseTo(Math.log(0.5 / (1 + 1)), 5);
    expect(model.logLikelihoods.y[1]).toBeCloseTo(Math.log(1.5 / (1 + 1)), 5);
  });

  it('records the alpha it used, and the default alpha is a Lidstone constant in (0, 1]', () => {
    const model = trainNaiveBayes(['a', 'b'], corpus, { minCount: 1 });
    const alpha = model.alpha;
    expect(alpha).toBeGreaterThan(0);
    expect(alpha).toBeLessThanOrEqual(1);
    expect(model.logLikelihoods.x[0]).toBeCloseTo(Math.log((3 + alpha) / (4 + 3 * alpha)), 5);
    expect(model.logLikelihoods.z[0]).toBeCloseTo(Math.log(alpha / (4 + 3 * alpha)), 5);
  });

  it('minCount sums over classes (a token split 1 + 1 across classes survives minCount 2)', () => {
    const model = trainNaiveBayes(['a', 'b'], corpus, { minCount: 2 });
    expect(model.logLikelihoods.y).toBeDefined();
    const strict = trainNaiveBayes(['a', 'b'], corpus, { minCount: 3 });
    expect(Object.keys(strict.logLikelihoods)).toEqual(['x']);
  });

  it('weights scale counts: weight 2 gives the same likelihoods as the example twice', () => {
    const weighted = trainNaiveBayes(
      ['a', 'b'],
      [
        { features: bag({ x: 1, y: 1 }), label: 'a', weight: 2 },
        { features: bag({ y: 1, z: 3 }), label: 'b' },
      ],
      { minCount: 1, alpha: 0.5 },
    );
    const duplicated = trainNaiveBayes(
      ['a', 'b'],
      [
        { features: bag({ x: 1, y: 1 }), label: 'a' },
        { features: bag({ x: 1, y: 1 }), label: 'a' },
        { features: bag({ y: 1, z: 3 }), label: 'b' },
      ],
      { minCount: 1, alpha: 0.5 },
    );
    expect(weighted.logLikelihoods).toEqual(duplicated.logLikelihoods);
    // and token weights inside a bag count too: x counted 2 for class a
    expect(weighted.logLikelihoods.x[0]).toBeCloseTo(Math.log((2 + 0.5) / (4 + 1.5)), 5);
  });

  it('a class with no examples still gets finite priors and likelihoods', () => {
    const model = trainNaiveBayes(['a', 'b', 'c'], corpus, { minCount: 1 });
    expect(model.logPriors.every(Number.isFinite)).toBe(true);
    expect(model.logPriors[2]).toBeCloseTo(Math.log(1 / 6), 5);
    for (const row of Object.values(model.logLikelihoods)) expect(row.every(Number.isFinite)).toBe(true);
  });

  it('rejects an example with an unknown class', () => {
    expect(() => trainNaiveBayes(['a', 'b'], [{ features: bag({ x: 1 }), label: 'q' }])).toThrow(/unknown class/);
  });
});

describe('scoreNaiveBayes', () => {
  const model = trainNaiveBayes(['a', 'b'], corpus, { alpha: 0.5, minCount: 1 });

  it('is log prior plus weighted log likelihoods', () => {
    const scores = scoreNaiveBayes(model, bag({ x: 2, z: 1 }));
    expect(scores[0]).toBeCloseTo(model.logPriors[0] + 2 * model.logLikelihoods.x[0] + model.logLikelihoods.z[0], 9);
    expect(scores[1]).toBeCloseTo(model.logPriors[1] + 2 * model.logLikelihoods.x[1] + model.logLikelihoods.z[1], 9);
  });

  it('ignores unknown tokens (same scores with or without them)', () => {
    const known = scoreNaiveBayes(model, bag({ x: 1 }));
    const withUnknown = scoreNaiveBayes(model, bag({ x: 1, never_seen: 50, another: 3 }));
    expect(withUnknown).toEqual(known);
    expect(scoreNaiveBayes(model, bag({ nothing: 1 }))).toEqual(model.logPriors);
  });

  it('does not underflow on a 5,000-token document and picks the right class', () => {
    // Two classes with disjoint 100-word vocabularies; train on 20 docs each.
    const wordsA = Array.from({ length: 100 }, (_, i) => `sport${i}`);
    const wordsB = Array.from({ length: 100 }, (_, i) => `money${i}`);
    const examples: TrainingExample[] = [];
    for (let d = 0; d < 20; d++) {
      examples.push({ features: new Map(wordsA.map((w) => [w, 1 + ((d + w.length) % 3)])), label: 'sport' });
      examples.push({ features: new Map(wordsB.map((w) => [w, 1 + (d % 2)])), label: 'money' });
    }
    const nb = trainNaiveBayes(['sport', 'money'], examples);
    // 5,000 tokens: 4,000 from the sport vocabulary, 1,000 from money.
    const doc = new Map<string, number>();
    for (let t = 0; t < 4000; t++) doc.set(wordsA[t % 100], (doc.get(wordsA[t % 100]) ?? 0) + 1);
    for (let t = 0; t < 1000; t++) doc.set(wordsB[t % 100], (doc.get(wordsB[t % 100]) ?? 0) + 1);
    expect(sum([...doc.values()])).toBe(5000);

    const scores = scoreNaiveBayes(nb, doc);
    expect(scores.every(Number.isFinite)).toBe(true);
    // A product of probabilities (natural's BayesClassifier) would be exactly 0 for both classes:
    expect(scores.every((s) => s < -745)).toBe(true);
    expect(scores.map(Math.exp)).toEqual([0, 0]);

    const posterior = softmax(scores);
    expect(posterior.every(Number.isFinite)).toBe(true);
    expect(sum(posterior)).toBeCloseTo(1, 12);
    expect(posterior[0]).toBeGreaterThan(posterior[1]);
    expect(nb.classes[posterior.indexOf(Math.max(...posterior))]).toBe('sport');

    // Flip the mix and the decision flips.
    const flipped = new Map<string, number>();
    for (let t = 0; t < 1000; t++) flipped.set(wordsA[t % 100], (flipped.get(wordsA[t % 100]) ?? 0) + 1);
    for (let t = 0; t < 4000; t++) flipped.set(wordsB[t % 100], (flipped.get(wordsB[t % 100]) ?? 0) + 1);
    const p2 = softmax(scoreNaiveBayes(nb, flipped));
    expect(sum(p2)).toBeCloseTo(1, 12);
    expect(p2[1]).toBeGreaterThan(p2[0]);
  });
});

describe('softmax', () => {
  it('matches the textbook formula on small scores', () => {
    const p = softmax([1, 2, 3]);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(p[0]).toBeCloseTo(Math.exp(1) / z, 12);
    expect(p[2]).toBeCloseTo(Math.exp(3) / z, 12);
  });

  it('is stable for huge gaps and huge magnitudes', () => {
    expect(softmax([-1e6, 0])).toEqual([0, 1]);
    const big = softmax([1e6, 1e6 - Math.log(3)]);
    // (1e6 - log 3 itself is only exact to ~1e-10)
    expect(big[0]).toBeCloseTo(0.75, 8);
    expect(big[1]).toBeCloseTo(0.25, 8);
    const neg = softmax([-5e5, -5e5 - Math.log(3)]);
    expect(neg[0]).toBeCloseTo(0.75, 8);
    for (const p of [big, neg, softmax([-1e300, -1e300])]) {
      expect(p.every(Number.isFinite)).toBe(true);
      expect(sum(p)).toBeCloseTo(1, 12);
    }
  });

  it('temperature softens: T=2 on [0,2] equals T=1 on [0,1], and keeps the ranking', () => {
    const sharp = softmax([0, 2]);
    const soft = softmax([0, 2], 2);
    expect(soft[1]).toBeLessThan(sharp[1]);
    expect(soft[1]).toBeGreaterThan(soft[0]);
    const reference = softmax([0, 1]);
    expect(soft[0]).toBeCloseTo(reference[0], 12);
    expect(soft[1]).toBeCloseTo(reference[1], 12);
    // very high temperature tends to uniform
    const flat = softmax([0, 10, 20], 1e6);
    for (const p of flat) expect(p).toBeCloseTo(1 / 3, 4);
  });
});

describe('topFeatures', () => {
  const nb = {
    classes: ['a', 'b', 'c'],
    logPriors: [Math.log(1 / 3), Math.log(1 / 3), Math.log(1 / 3)],
    logLikelihoods: {
      strong: [-1, -4, -5], // margin toward a: 3
      medium: [-2, -3.5, -3], // margin 1
      weak: [-2, -2.5, -9], // margin 0.5
      against: [-5, -1, -2], // negative toward a
      tie: [-2, -2, -3], // margin 0
    },
    alpha: 0.5,
  };

  it('orders tokens by weight × margin over the best other class, strongest first', () => {
    const features = bag({ strong: 1, medium: 1, weak: 1, against: 1, tie: 1, unknown: 10 });
    expect(topFeatures(nb, features, 0)).toEqual(['strong (+3.0)', 'medium (+1.0)', 'weak (+0.5)']);
  });

  it('multiplies the margin by the token weight (a frequent weak token can lead)', () => {
    const features = bag({ strong: 1, weak: 8 });
    expect(topFeatures(nb, features, 0)).toEqual(['weak (+4.0)', 'strong (+3.0)']);
  });

  it('respects the limit and the target class', () => {
    const features = bag({ strong: 1, medium: 1, weak: 1, against: 1 });
    expect(topFeatures(nb, features, 0, 2)).toEqual(['strong (+3.0)', 'medium (+1.0)']);
    // toward b only "against" helps: -1 vs best other -2 → +1
    expect(topFeatures(nb, features, 1)).toEqual(['against (+1.0)']);
  });
});

describe('TopContributions', () => {
  /** The reference: every positive contribution, sorted by margin (stable), first `limit` kept. */
  function bySorting(entries: [string, number, number[]][], classIndex: number, limit: number): string[] {
    const contributions: [string, number][] = [];
    for (const [token, weight, row] of entries) {
      let other = -Infinity;
      for (let c = 0; c < row.length; c++) if (c !== classIndex && row[c] > other) other = row[c];
      const margin = weight * (row[classIndex] - other);
      if (margin > 0) contributions.push([token, margin]);
    }
    contributions.sort((a, b) => b[1] - a[1]);
    return contributions.slice(0, limit).map(([token, margin]) => `${token} (+${margin.toFixed(1)})`);
  }

  it('keeps the same tokens in the same order as a full stable sort, ties in arrival order', () => {
    let state = 5;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 2000; run++) {
      // Few distinct values, so ties are common.
      const entries: [string, number, number[]][] = Array.from({ length: Math.floor(next() * 30) }, (_, i) => [
        `t${i}`,
        1 + Math.floor(next() * 3),
        [0, 1, 2].map(() => -Math.floor(next() * 4)),
      ]);
      const classIndex = Math.floor(next() * 3);
      const limit = 1 + Math.floor(next() * 6);
      const top = new TopContributions(classIndex, limit);
      for (const [token, weight, row] of entries) top.add(token, weight, row);
      expect(top.format()).toEqual(bySorting(entries, classIndex, limit));
    }
  });
});
