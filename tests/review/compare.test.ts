import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { WinnowError } from '../../src/errors.js';
import { articleFrom } from '../../src/pipeline.js';
import { compareModels } from '../../src/review/compare.js';
import { fixtureSetHash, labelFixture, loadFixtures, type LabeledPage } from '../../src/train/fixtures.js';
import { addToConfusion, emptyConfusion } from '../../src/train/metrics.js';
import { crossValidate, trainModel } from '../../src/train/train.js';

const SLUGS = ['news-wire-1', 'news-wire-2', 'recipe-blog-1', 'recipe-blog-2', 'forum-thread-1', 'listicle-gifts-1'];
/** Two pages play the part of review exports. */
const REVIEWED = new Set(['news-wire-2', 'recipe-blog-2']);

const fixtures = loadFixtures().filter((page) => SLUGS.includes(page.slug));
const pages: LabeledPage[] = fixtures.map((page) => {
  const labeled = labelFixture(page);
  return REVIEWED.has(page.slug) ? { ...labeled, meta: { ...labeled.meta, source: 'review-export' } } : labeled;
});
const current = loadModel();
const { model: candidate, validation } = trainModel(pages, { folds: 3, fixtureHash: fixtureSetHash(fixtures) });

/** The confusion of the labels the production path gives each page (articleFrom, as moderate() does). */
function productionConfusion(subset: LabeledPage[]): number[][] {
  const confusion = emptyConfusion();
  for (const page of subset) {
    const article = articleFrom(page.analysis, current, page.meta.url ?? null);
    page.gold.forEach((gold, i) => addToConfusion(confusion, gold, article.blocks[i].label));
  }
  return confusion;
}

describe('compareModels', () => {
  const report = compareModels({ pages, validation, candidate, current, fixtureHash: fixtureSetHash(fixtures) });

  it("scores the candidate by its out-of-fold labels and the current model by what it labels in production", () => {
    expect(report.candidate).toBe(candidate.version);
    expect(report.current).toBe(current.version);
    expect(report.pages).toBe(6);
    expect(report.all.candidate.confusion).toEqual(validation.metrics.confusion);
    expect(report.all.candidate.macroF1).toBe(validation.metrics.macroF1);
    expect(report.all.current.confusion).toEqual(productionConfusion(pages));
  });

  it('reports the review-export pages apart, and says where the current model is in-sample', () => {
    expect(report.reviewedPages).toBe(2);
    const reviewed = pages.filter((page) => REVIEWED.has(page.slug));
    const outOfFold = emptyConfusion();
    for (const page of validation.pages.filter((item) => REVIEWED.has(item.slug))) {
      page.gold.forEach((gold, i) => addToConfusion(outOfFold, gold, page.predicted[i]));
    }
    expect(report.reviewed!.candidate.confusion).toEqual(outOfFold);
    expect(report.reviewed!.current.confusion).toEqual(productionConfusion(reviewed));
    expect(report.method).toContain('out-of-fold');
    expect(report.method).toContain('in-sample on the 4 pages that are not review exports');
  });

  it('has no reviewed subset when no page came from review', () => {
    const handWritten = pages.filter((page) => !REVIEWED.has(page.slug));
    const plain = compareModels({ pages: handWritten, validation: crossValidate(handWritten, { folds: 2 }), candidate, current, fixtureHash: 'x' });
    expect(plain.reviewedPages).toBe(0);
    expect(plain.reviewed).toBeNull();
  });

  it('refuses a cross-validation of other pages', () => {
    const attempt = () => compareModels({ pages: pages.slice(1), validation, candidate, current, fixtureHash: 'x' });
    expect(attempt).toThrow(WinnowError);
    expect(attempt).toThrow(/same pages/);
  });
});
