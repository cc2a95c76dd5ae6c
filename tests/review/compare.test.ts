import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/classify/model.js';
import { WinnowError } from '../../src/errors.js';
import { articleFrom } from '../../src/pipeline.js';
import { compareModels } from '../../src/review/compare.js';
import { fixtureSetHash, labelFixture, loadFixtures, type LabeledPage } from '../../src/train/fixtures.js';
import { addToConfusion, emptyConfusion } from '../../src/train/metrics.js';
import { classifyBlocks } from '../../src/classify/classify.js';
import { crossValidate, fitModel, pageFolds, trainModel } from '../../src/train/train.js';

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

/** Confusion of the current model's configuration, refitted per fold without the pages it never had, on the held-out pages. */
function sameFoldsConfusion(subset: Set<string>): number[][] {
  const confusion = emptyConfusion();
  for (const held of pageFolds(pages, 3)) {
    const model = fitModel(
      pages.filter((page) => !held.includes(page) && !REVIEWED.has(page.slug)),
      { temperature: current.temperature, bias: current.bias, smoothing: current.smoothing, context: current.contextNb !== null },
    );
    for (const page of held.filter((item) => subset.has(item.slug))) {
      const kept = page.analysis.readabilityFound ? page.analysis.kept : null;
      const predicted = classifyBlocks(page.analysis.blocks, page.analysis.features, model, kept);
      page.gold.forEach((gold, i) => addToConfusion(confusion, gold, predicted[i].label));
    }
  }
  return confusion;
}

describe('compareModels', () => {
  const report = compareModels({ pages, validation, candidate, current, fixtureHash: fixtureSetHash(fixtures), folds: 3 });

  it('scores candidate and current model on the same held-out folds of the same pages', () => {
    expect(report.candidate).toBe(candidate.version);
    expect(report.current).toBe(current.version);
    expect(report.pages).toBe(6);
    expect(report.all.candidate.confusion).toEqual(validation.metrics.confusion);
    expect(report.all.candidate.macroF1).toBe(validation.metrics.macroF1);
    // The current side is held out too: its configuration refitted per fold, without the two review exports.
    expect(report.currentTrainingPages).toBe(4);
    expect(report.all.current.confusion).toEqual(sameFoldsConfusion(new Set(SLUGS)));
    // Same blocks on both sides, class by class.
    for (const label of ['editorial', 'promo', 'boilerplate'] as const) {
      expect(report.all.current.perClass[label].support).toBe(report.all.candidate.perClass[label].support);
    }
    expect(report.method).toContain('same folds');
  });

  it('keeps the deployed model in-sample figure apart, for reference only', () => {
    expect(report.deployed.all.confusion).toEqual(productionConfusion(pages));
    expect(report.deployed.reviewed!.confusion).toEqual(productionConfusion(pages.filter((page) => REVIEWED.has(page.slug))));
  });

  it('reports the review-export pages apart, both held out', () => {
    expect(report.reviewedPages).toBe(2);
    const outOfFold = emptyConfusion();
    for (const page of validation.pages.filter((item) => REVIEWED.has(item.slug))) {
      page.gold.forEach((gold, i) => addToConfusion(outOfFold, gold, page.predicted[i]));
    }
    expect(report.reviewed!.candidate.confusion).toEqual(outOfFold);
    expect(report.reviewed!.current.confusion).toEqual(sameFoldsConfusion(REVIEWED));
  });

  it('lists the reviewed blocks the candidate changes, as fixed, broke or still wrong', () => {
    const { changes } = report;
    expect(changes.fixed + changes.broke + changes.stillWrong).toBe(changes.blocks.length);
    let expected = 0;
    for (const page of pages.filter((item) => REVIEWED.has(item.slug))) {
      const kept = page.analysis.readabilityFound ? page.analysis.kept : null;
      const before = classifyBlocks(page.analysis.blocks, page.analysis.features, current, kept).map((verdict) => verdict.label);
      const after = classifyBlocks(page.analysis.blocks, page.analysis.features, candidate, kept).map((verdict) => verdict.label);
      expected += before.filter((label, i) => label !== after[i]).length;
    }
    expect(changes.blocks).toHaveLength(expected);
    for (const change of changes.blocks) {
      expect(change.current).not.toBe(change.candidate);
      expect(change.verdict).toBe(change.candidate === change.truth ? 'fixed' : change.current === change.truth ? 'broke' : 'still wrong');
    }
    const verdicts = changes.blocks.map((change) => change.verdict);
    expect(verdicts.indexOf('broke') <= 0 || verdicts.lastIndexOf('broke') < verdicts.indexOf('fixed') || verdicts.indexOf('fixed') < 0).toBe(true);
  });

  it('has no reviewed subset when no page came from review', () => {
    const handWritten = pages.filter((page) => !REVIEWED.has(page.slug));
    const plain = compareModels({ pages: handWritten, validation: crossValidate(handWritten, { folds: 2 }), candidate, current, fixtureHash: 'x', folds: 2 });
    expect(plain.reviewedPages).toBe(0);
    expect(plain.reviewed).toBeNull();
    expect(plain.currentTrainingPages).toBe(4);
  });

  it('refuses a cross-validation of other pages', () => {
    const attempt = () => compareModels({ pages: pages.slice(1), validation, candidate, current, fixtureHash: 'x' });
    expect(attempt).toThrow(WinnowError);
    expect(attempt).toThrow(/same pages/);
  });
});
