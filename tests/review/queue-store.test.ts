import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rankReviewQueue } from '../../src/review/queue.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import type { Article, Label, LabeledBlock } from '../../src/types.js';
import { makeArticle } from '../storage/make-article.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'winnow-queue-store-'));
  store = await openStore({ sqlitePath: join(dir, 'winnow.db'), databaseUrl: '' });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A confident page: every block 99% sure and agreeing with Readability, plus a rail of eight cards. */
function confidentPage(cardLabels: Label[]): Article {
  const article = makeArticle({ url: 'https://deals.example.com/story' });
  const sure = (block: LabeledBlock): LabeledBlock => ({ ...block, confidence: 0.99, readability: block.label === 'editorial' ? 1 : 0, smoothedBy: undefined, rawLabel: undefined });
  const cards = cardLabels.map((label, i): LabeledBlock => ({
    ...article.blocks[0],
    index: article.blocks.length + i,
    path: `html > body > aside > div:nth-of-type(${i + 1})`,
    tag: 'div',
    text: `Partner card ${i + 1}: lamps from $${20 + i}`,
    html: `<div>Partner card ${i + 1}</div>`,
    label,
    confidence: 0.95,
    readability: 0,
    listingSize: cardLabels.length,
    listingKey: 'html > body > aside > div',
  }));
  return { ...article, blocks: [...article.blocks.map(sure), ...cards] };
}

async function storeArticle(article: Article) {
  const { page } = await store.putPage({ url: article.url!, source: 'api', raw: Buffer.from('<html></html>'), contentType: 'text/html' });
  return store.saveArticle(page.id, article);
}

describe('review candidates that confidence alone misses', () => {
  it('offers a confident block whose label differs from most of its listing', async () => {
    const labels: Label[] = ['promo', 'promo', 'promo', 'editorial', 'promo', 'promo', 'promo', 'promo'];
    const stored = await storeArticle(confidentPage(labels));
    const candidates = await store.listReviewCandidates();
    const outlier = stored.blocks.find((block) => block.label === 'editorial' && block.listingKey !== null)!;
    expect(candidates.map((candidate) => candidate.blockIndex)).toEqual([outlier.index]);
    expect(candidates[0]).toMatchObject({ listingLabel: 'promo', audit: false });
    expect(rankReviewQueue(candidates)[0].reasons[0]).toBe('listing_disagrees');
  });

  it('draws an audit sample among confident blocks only when asked, never a decided one', async () => {
    const stored = await storeArticle(confidentPage(Array(8).fill('promo')));
    expect(await store.listReviewCandidates()).toEqual([]);
    await store.addCorrections(stored.id, [{ blockIndex: 0, label: stored.blocks[0].label, expected: stored.blocks[0].label }], 'ana');
    const sampled = await store.listReviewCandidates({ audit: 5 });
    expect(sampled).toHaveLength(5);
    for (const candidate of sampled) {
      expect(candidate.audit).toBe(true);
      expect(candidate.blockIndex).not.toBe(0);
    }
    expect(new Set(sampled.map((candidate) => candidate.blockIndex)).size).toBe(5);
  });
});
