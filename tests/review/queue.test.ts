import { describe, expect, it } from 'vitest';
import { WinnowError } from '../../src/errors.js';
import { rankCandidate, rankReviewQueue, type RankedCandidate } from '../../src/review/queue.js';
import type { ReviewCandidate } from '../../src/review/types.js';

let serial = 0;

/** A doubtful-looking block; everything not given is a plain editorial paragraph Readability kept. */
function candidate(overrides: Partial<ReviewCandidate> & { site: string | null; articleId: string; blockIndex: number }): ReviewCandidate {
  serial++;
  return {
    pageId: `page-${overrides.articleId}`,
    url: overrides.site ? `https://${overrides.site}/story-${overrides.articleId}` : null,
    title: `Story ${overrides.articleId}`,
    model: 'nb-f1-test',
    path: `body > main:nth-of-type(1) > p:nth-of-type(${overrides.blockIndex + 1})`,
    tag: 'p',
    text: `Paragraph ${serial} of the story.`,
    label: 'editorial',
    confidence: 0.6,
    rawLabel: null,
    smoothedBy: null,
    readability: 1,
    listingSize: 1,
    listingKey: null,
    topFeatures: [],
    fallback: false,
    listingLabel: null,
    audit: false,
    ...overrides,
  };
}

/** `count` cards of one rail on one article, all equally doubtful. */
function rail(site: string, articleId: string, count: number, from = 0): ReviewCandidate[] {
  return Array.from({ length: count }, (_, i) =>
    candidate({
      site,
      articleId,
      blockIndex: from + i,
      path: `body > aside:nth-of-type(1) > div:nth-of-type(${i + 1})`,
      tag: 'div',
      label: 'promo',
      confidence: 0.4,
      readability: 0,
      listingSize: count,
      listingKey: 'body > aside:nth-of-type(1)|div.card[a,img]',
    }),
  );
}

const key = (item: RankedCandidate) => `${item.articleId}#${item.blockIndex}`;

describe('rankReviewQueue', () => {
  it('ranks by uncertainty, Readability disagreement and smoothing, and says why', () => {
    const sure = candidate({ site: 'a.example', articleId: 'a1', blockIndex: 0, confidence: 0.98 });
    const unsure = candidate({ site: 'a.example', articleId: 'a1', blockIndex: 1, confidence: 0.45 });
    const dropped = candidate({ site: 'a.example', articleId: 'a1', blockIndex: 2, confidence: 0.98, readability: 0 });
    const smoothed = candidate({ site: 'a.example', articleId: 'a1', blockIndex: 3, confidence: 0.98, smoothedBy: 'listing', rawLabel: 'promo' });
    const keptAd = candidate({ site: 'a.example', articleId: 'a1', blockIndex: 4, confidence: 0.98, label: 'promo', readability: 0.95 });

    expect(rankCandidate(sure).reasons).toEqual([]);
    expect(rankCandidate(unsure).reasons).toEqual(['low_confidence']);
    expect(rankCandidate(dropped).reasons).toEqual(['readability_disagrees']);
    expect(rankCandidate(smoothed).reasons).toEqual(['smoothed']);
    expect(rankCandidate(keptAd).reasons).toEqual(['readability_disagrees']);

    const queue = rankReviewQueue([sure, unsure, dropped, smoothed, keptAd]);
    expect(queue.map((item) => item.blockIndex)).toEqual([1, 2, 4, 3, 0]);
    expect(queue[0].priority).toBeGreaterThan(queue[queue.length - 1].priority);
    for (let i = 1; i < queue.length; i++) expect(queue[i - 1].priority).toBeGreaterThanOrEqual(queue[i].priority);
  });

  it('lets sites take turns, so 200 doubtful cards of one site never fill the queue', () => {
    const flood = [...rail('big.example', 'b1', 200), ...Array.from({ length: 40 }, (_, i) => candidate({ site: 'big.example', articleId: `b${i + 2}`, blockIndex: 0, confidence: 0.5 }))];
    const quiet = [
      candidate({ site: 'small.example', articleId: 's1', blockIndex: 3, confidence: 0.8 }),
      candidate({ site: 'small.example', articleId: 's1', blockIndex: 7, confidence: 0.85 }),
      candidate({ site: 'other.example', articleId: 'o1', blockIndex: 1, confidence: 0.9 }),
    ];
    const queue = rankReviewQueue([...flood, ...quiet], { limit: 12 });

    expect(queue).toHaveLength(12);
    // First round: one block from each site, most doubtful site first.
    expect(queue.slice(0, 3).map((item) => item.site)).toEqual(['big.example', 'small.example', 'other.example']);
    expect(queue.filter((item) => item.site === 'small.example')).toHaveLength(2);
    expect(queue.filter((item) => item.site === 'other.example')).toHaveLength(1);
    // The rail gives at most two of its cards.
    expect(queue.filter((item) => item.listingKey !== null)).toHaveLength(2);
  });

  it('caps blocks per listing and per article', () => {
    const article = Array.from({ length: 30 }, (_, i) => candidate({ site: 'one.example', articleId: 'x1', blockIndex: 100 + i, confidence: 0.5 }));
    const queue = rankReviewQueue([...rail('one.example', 'x1', 50), ...rail('one.example', 'x2', 50, 0), ...article], {
      limit: 100,
      perListing: 3,
      perArticle: 8,
    });
    const perArticle = new Map<string, number>();
    for (const item of queue) perArticle.set(item.articleId, (perArticle.get(item.articleId) ?? 0) + 1);
    expect(perArticle.get('x1')).toBe(8);
    // The same listing path on another page is another listing.
    expect(queue.filter((item) => item.articleId === 'x2')).toHaveLength(3);
    expect(queue.filter((item) => item.articleId === 'x1' && item.listingKey !== null)).toHaveLength(3);
    expect(new Set(queue.map(key)).size).toBe(queue.length);
  });

  it('gives the same queue whatever the input order; ties go by article id, then block index', () => {
    const items = [
      ...rail('t.example', 'm2', 4),
      ...Array.from({ length: 6 }, (_, i) => candidate({ site: 't.example', articleId: i % 2 ? 'm1' : 'm3', blockIndex: 10 + i, confidence: 0.5 })),
      ...Array.from({ length: 5 }, (_, i) => candidate({ site: `s${i}.example`, articleId: `z${i}`, blockIndex: i, confidence: 0.5 })),
      candidate({ site: null, articleId: 'local1', blockIndex: 0, confidence: 0.5 }),
    ];
    const reversed = [...items].reverse();
    const shuffled = items.map((item, i) => ({ item, order: (i * 7919) % 17 })).sort((a, b) => a.order - b.order).map(({ item }) => item);

    const expected = rankReviewQueue(items).map(key);
    expect(rankReviewQueue(reversed).map(key)).toEqual(expected);
    expect(rankReviewQueue(shuffled).map(key)).toEqual(expected);

    const tied = rankReviewQueue(items.filter((item) => item.site === 't.example' && item.listingKey === null));
    expect(tied.map(key)).toEqual(['m1#11', 'm1#13', 'm1#15', 'm3#10', 'm3#12', 'm3#14']);
  });

  it('stops at the limit, and an empty list gives an empty queue', () => {
    const many = Array.from({ length: 80 }, (_, i) => candidate({ site: `site${i}.example`, articleId: `p${i}`, blockIndex: 0 }));
    expect(rankReviewQueue(many)).toHaveLength(50);
    expect(rankReviewQueue(many, { limit: 5 })).toHaveLength(5);
    expect(rankReviewQueue(many, { limit: 0 })).toEqual([]);
    expect(rankReviewQueue([])).toEqual([]);
  });

  it('refuses options that are not non-negative integers', () => {
    const items = [candidate({ site: 'a.example', articleId: 'a', blockIndex: 0 })];
    for (const options of [{ limit: -1 }, { perListing: 1.5 }, { perArticle: Number.NaN }]) {
      const attempt = () => rankReviewQueue(items, options);
      expect(attempt).toThrow(WinnowError);
      expect(attempt).toThrow(/non-negative integer/);
    }
  });
});

describe('finding confident errors', () => {
  it('ranks a confident block that differs from the rest of its listing above plain low confidence, with its reason', () => {
    const sure = candidate({ site: 'a.example', articleId: 'a1', blockIndex: 3, confidence: 0.97, label: 'editorial', listingSize: 8, listingKey: 'rail', listingLabel: 'promo' });
    const unsure = candidate({ site: 'a.example', articleId: 'a1', blockIndex: 9, confidence: 0.5 });
    const queue = rankReviewQueue([unsure, sure]);
    expect(queue[0].blockIndex).toBe(3);
    expect(queue[0].reasons).toEqual(['listing_disagrees']);
    expect(queue[1].reasons).toEqual(['low_confidence']);
  });

  it('marks blocks of sites the model never trained on', () => {
    const seen = candidate({ site: 'known.example', articleId: 'k1', blockIndex: 0 });
    const fresh = candidate({ site: 'new.example', articleId: 'n1', blockIndex: 0 });
    const queue = rankReviewQueue([seen, fresh], { seenSites: new Set(['known.example']) });
    expect(queue[0].site).toBe('new.example');
    expect(queue[0].reasons).toContain('new_site');
    expect(queue[1].reasons).not.toContain('new_site');
  });

  it('keeps slots for the random audit sample and spreads it through the queue', () => {
    const doubtful = Array.from({ length: 30 }, (_, i) => candidate({ site: `s${i % 5}.example`, articleId: `d${i}`, blockIndex: 0 }));
    const audits = Array.from({ length: 3 }, (_, i) => candidate({ site: 'x.example', articleId: `x${i}`, blockIndex: 0, confidence: 0.99, audit: true }));
    const queue = rankReviewQueue([...doubtful, ...audits], { limit: 12 });
    expect(queue).toHaveLength(12);
    const positions = queue.flatMap((item, i) => (item.audit ? [i] : []));
    expect(positions).toHaveLength(3);
    for (const i of positions) expect(queue[i].reasons).toEqual(['audit']);
    // Not bunched at the end.
    expect(positions[0]).toBeLessThan(6);
  });

  it('puts fallback pages first, still', () => {
    const fallback = candidate({ site: 'f.example', articleId: 'f1', blockIndex: 0, confidence: 0.99, fallback: true });
    const listing = candidate({ site: 'a.example', articleId: 'a1', blockIndex: 0, confidence: 0.1, listingSize: 8, listingKey: 'r', listingLabel: 'promo', smoothedBy: 'listing', readability: 0 });
    expect(rankReviewQueue([listing, fallback])[0].articleId).toBe('f1');
  });
});

