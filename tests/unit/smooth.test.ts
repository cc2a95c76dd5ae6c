import { describe, expect, it } from 'vitest';
import { DEFAULT_SMOOTHING, smoothLabels, type SmoothingInput } from '../../src/classify/smooth.js';
import { LABELS } from '../../src/types.js';

// Label order used throughout: [editorial, promo, boilerplate]
const L = LABELS;
const ED = 0;
const PROMO = 1;
const BP = 2;

const lone = (posterior: number[], readability: number | null = null): SmoothingInput => ({
  posterior,
  listingKey: null,
  listingSize: 1,
  readability,
});
const member = (posterior: number[], key = 'body > div|div.card[a]', size = 6): SmoothingInput => ({
  posterior,
  listingKey: key,
  listingSize: size,
  readability: null,
});

const noContext = { ...DEFAULT_SMOOTHING, contextMaxConfidence: 0 };

describe('listing smoothing', () => {
  it('a 6-item listing, 4 leaning promo and 2 weakly boilerplate, ends all promo; the 2 are marked listing', () => {
    const inputs = [
      member([0.1, 0.6, 0.3]),
      member([0.1, 0.42, 0.48]),
      member([0.1, 0.6, 0.3]),
      member([0.15, 0.55, 0.3]),
      member([0.1, 0.43, 0.47]),
      member([0.1, 0.65, 0.25]),
    ];
    const out = smoothLabels(inputs, L, DEFAULT_SMOOTHING);
    expect(out.map((o) => o.labelIndex)).toEqual([PROMO, PROMO, PROMO, PROMO, PROMO, PROMO]);
    expect(out.map((o) => o.smoothedBy)).toEqual([undefined, 'listing', undefined, undefined, 'listing', undefined]);
    for (const o of out) {
      expect(o.posterior.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(o.confidence).toBe(o.posterior[o.labelIndex]);
    }
    // The smoothed posterior moved toward the listing: the weak item's promo share went up.
    expect(out[1].posterior[PROMO]).toBeGreaterThan(0.42);
  });

  it('without listing smoothing (weight 0) the weak items keep their own label', () => {
    const inputs = [member([0.1, 0.6, 0.3]), member([0.1, 0.42, 0.48]), member([0.1, 0.6, 0.3]), member([0.1, 0.6, 0.3])];
    const out = smoothLabels(inputs, L, { ...noContext, listingWeight: 0 });
    expect(out[1].labelIndex).toBe(BP);
    expect(out[1].smoothedBy).toBeUndefined();
  });

  it('an item with very strong evidence of its own keeps its label', () => {
    const inputs = [
      member([0.1, 0.6, 0.3]),
      member([0.1, 0.6, 0.3]),
      member([0.98, 0.01, 0.01]),
      member([0.1, 0.6, 0.3]),
      member([0.1, 0.6, 0.3]),
      member([0.1, 0.6, 0.3]),
    ];
    const out = smoothLabels(inputs, L, noContext);
    expect(out[2].labelIndex).toBe(ED);
    expect(out[2].smoothedBy).toBeUndefined();
    expect(out.filter((_, i) => i !== 2).every((o) => o.labelIndex === PROMO)).toBe(true);
  });

  it('only items of the same listing vote; listings below minListingSize do not', () => {
    const inputs = [
      member([0.1, 0.6, 0.3], 'A'),
      member([0.1, 0.6, 0.3], 'A'),
      member([0.1, 0.6, 0.3], 'A'),
      member([0.1, 0.42, 0.48], 'B'), // alone in its listing: no vote from A
      member([0.1, 0.42, 0.48], 'C', 2), // listingSize 2 < 3
      member([0.1, 0.6, 0.3], 'C', 2),
    ];
    const out = smoothLabels(inputs, L, noContext);
    expect(out[3].labelIndex).toBe(BP);
    expect(out[4].labelIndex).toBe(BP);
    expect(out[3].smoothedBy).toBeUndefined();
    expect(out[4].smoothedBy).toBeUndefined();
  });
});

describe('context smoothing', () => {
  it('flips a weak lone block between two confident editorial blocks', () => {
    const out = smoothLabels([lone([0.95, 0.02, 0.03]), lone([0.3, 0.1, 0.6]), lone([0.9, 0.05, 0.05])], L, DEFAULT_SMOOTHING);
    expect(out[1].labelIndex).toBe(ED);
    expect(out[1].smoothedBy).toBe('context');
    expect(out[1].confidence).toBeCloseTo(0.3, 9); // the block's own editorial posterior
    expect(out[0].smoothedBy).toBeUndefined();
    expect(out[2].smoothedBy).toBeUndefined();
  });

  it('does not give back a weak block that opens with a chrome phrase ("Read more: …")', () => {
    const out = smoothLabels([lone([0.95, 0.02, 0.03]), { ...lone([0.3, 0.1, 0.6]), chromeLead: true }, lone([0.9, 0.05, 0.05])], L, DEFAULT_SMOOTHING);
    expect(out[1].labelIndex).toBe(BP);
    expect(out[1].smoothedBy).toBeUndefined();
  });

  it('does not flip a confident block', () => {
    const out = smoothLabels([lone([0.95, 0.02, 0.03]), lone([0.02, 0.03, 0.95]), lone([0.9, 0.05, 0.05])], L, DEFAULT_SMOOTHING);
    expect(out[1].labelIndex).toBe(BP);
    expect(out[1].smoothedBy).toBeUndefined();
  });

  it('by default gives back only boilerplate: a weak ad between two paragraphs stays promo', () => {
    expect(DEFAULT_SMOOTHING.contextFrom).toEqual(['boilerplate']);
    const inputs = [lone([0.95, 0.02, 0.03]), lone([0.3, 0.6, 0.1]), lone([0.9, 0.05, 0.05])];
    const out = smoothLabels(inputs, L, DEFAULT_SMOOTHING);
    expect(out[1].labelIndex).toBe(PROMO);
    expect(out[1].smoothedBy).toBeUndefined();
    const widened = smoothLabels(inputs, L, { ...DEFAULT_SMOOTHING, contextFrom: ['promo', 'boilerplate'] });
    expect(widened[1].labelIndex).toBe(ED);
    expect(widened[1].smoothedBy).toBe('context');
  });

  it('follows the label order it is given (editorial found by name)', () => {
    const order = ['boilerplate', 'editorial', 'promo'];
    const out = smoothLabels([lone([0.03, 0.95, 0.02]), lone([0.6, 0.3, 0.1]), lone([0.05, 0.9, 0.05])], order, DEFAULT_SMOOTHING);
    expect(out[1].labelIndex).toBe(1);
    expect(out[1].smoothedBy).toBe('context');
  });

  it('does not flip a listing member', () => {
    const out = smoothLabels(
      [lone([0.95, 0.02, 0.03]), member([0.3, 0.1, 0.6], 'L', 3), lone([0.9, 0.05, 0.05])],
      L,
      DEFAULT_SMOOTHING,
    );
    expect(out[1].labelIndex).toBe(BP);
    expect(out[1].smoothedBy).toBeUndefined();
  });

  it('needs both neighbours to be confidently editorial', () => {
    const weakNeighbour = smoothLabels([lone([0.6, 0.2, 0.2]), lone([0.3, 0.1, 0.6]), lone([0.9, 0.05, 0.05])], L, DEFAULT_SMOOTHING);
    expect(weakNeighbour[1].labelIndex).toBe(BP);
    const promoNeighbour = smoothLabels([lone([0.05, 0.9, 0.05]), lone([0.3, 0.1, 0.6]), lone([0.9, 0.05, 0.05])], L, DEFAULT_SMOOTHING);
    expect(promoNeighbour[1].labelIndex).toBe(BP);
  });

  it('never flips the first or last block, and is off when contextMaxConfidence is 0', () => {
    const edges = smoothLabels([lone([0.3, 0.1, 0.6]), lone([0.95, 0.02, 0.03]), lone([0.3, 0.1, 0.6])], L, DEFAULT_SMOOTHING);
    expect(edges.map((o) => o.labelIndex)).toEqual([BP, ED, BP]);
    const off = smoothLabels([lone([0.95, 0.02, 0.03]), lone([0.3, 0.1, 0.6]), lone([0.9, 0.05, 0.05])], L, noContext);
    expect(off[1].labelIndex).toBe(BP);
  });

  it('decides flips from the labels before context smoothing (two weak blocks in a row both stay)', () => {
    const out = smoothLabels(
      [lone([0.95, 0.02, 0.03]), lone([0.3, 0.1, 0.6]), lone([0.3, 0.1, 0.6]), lone([0.9, 0.05, 0.05])],
      L,
      DEFAULT_SMOOTHING,
    );
    expect(out.map((o) => o.labelIndex)).toEqual([ED, BP, BP, ED]);
  });
});

describe('restore guard', () => {
  const onlyRestore = { ...DEFAULT_SMOOTHING, listingWeight: 0, contextMaxConfidence: 0, restoreMinConfidence: 0.9 };

  it('a block Readability dropped stays out of the article unless the classifier is sure', () => {
    const out = smoothLabels([lone([0.7, 0.05, 0.25], 0)], L, onlyRestore);
    expect(out[0].labelIndex).toBe(BP);
    expect(out[0].smoothedBy).toBe('readability');
    expect(out[0].confidence).toBe(0.25);
  });

  it('a confident restore, a kept block, and a page where Readability found nothing are left alone', () => {
    const out = smoothLabels([lone([0.95, 0.02, 0.03], 0), lone([0.6, 0.1, 0.3], 1), lone([0.6, 0.1, 0.3], null)], L, onlyRestore);
    expect(out.map((o) => o.labelIndex)).toEqual([ED, ED, ED]);
    expect(out.map((o) => o.smoothedBy)).toEqual([undefined, undefined, undefined]);
  });

  it('picks the likelier of promo and boilerplate', () => {
    const out = smoothLabels([lone([0.5, 0.35, 0.15], 0)], L, onlyRestore);
    expect(out[0].labelIndex).toBe(PROMO);
  });

  it('is off at 0', () => {
    const out = smoothLabels([lone([0.5, 0.35, 0.15], 0)], L, { ...onlyRestore, restoreMinConfidence: 0 });
    expect(out[0].labelIndex).toBe(ED);
  });

  it('asks less of a block inside the run Readability kept than of one after it', () => {
    const inside = { ...lone([0.75, 0.05, 0.2], 0), insideKept: true };
    const after = lone([0.75, 0.05, 0.2], 0);
    expect(smoothLabels([inside, after], L, onlyRestore).map((o) => o.labelIndex)).toEqual([ED, BP]);
    expect(smoothLabels([{ ...lone([0.65, 0.05, 0.3], 0), insideKept: true }], L, onlyRestore)[0].labelIndex).toBe(BP);
  });
});
