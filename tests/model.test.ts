import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/classify/model.js';
import { moderate } from '../src/pipeline.js';
import { readabilityBaseline } from '../src/extract/readability.js';
import { corpusDir, loadCorpus } from '../src/eval/corpus.js';
import { aggregate, scoreText } from '../src/eval/text-metric.js';
import { fixtureSetHash, labelFixture, loadFixtures } from '../src/train/fixtures.js';
import { crossValidate } from '../src/train/train.js';

describe('the shipped model', () => {
  const model = loadModel();
  const fixtures = loadFixtures();

  it('was trained on the fixtures as they are now (retrain after changing them)', () => {
    expect(model.trainedOn.fixtureHash).toBe(fixtureSetHash(fixtures));
    expect(model.trainedOn.sources?.['hand-written'] ?? model.trainedOn.pages).toBe(fixtures.length);
  });

  // The floor sits under the figures the README reports (macro F1 0.891, promo recall 0.921 on 78
  // pages): the 14 pages with real-world amounts of chrome made the held-out folds harder (the
  // same code scores 0.909 on the first 64 pages), so the bar moved with the set, not the method.
  it('meets the quality bar, cross-validated by page: macro F1 >= 0.88, promo recall >= 0.90', () => {
    expect(model.metrics).not.toBeNull();
    expect(model.metrics!.macroF1).toBeGreaterThanOrEqual(0.88);
    expect(model.metrics!.perClass.promo.recall).toBeGreaterThanOrEqual(0.9);
  });

  // A model trained with aligned corpus pages is reproduced by `winnow train` with the corpus
  // (minutes); here, with the fixtures alone, its held-out figures on the fixtures must match
  // what the fixtures alone give: the corpus may not cost the promo knowledge. The tolerance is
  // 0.001 (about 4 of 7,477 blocks): with WCXB dev at share 0.1 the fixtures' macro F1 is 0.9076
  // against 0.9079 alone (promo F1 0.905 against 0.899, editorial 0.884 against 0.890).
  it('reports metrics that cross-validation reproduces exactly (fixtures alone), or matches (with a corpus)', () => {
    const validation = crossValidate(fixtures.map((page) => labelFixture(page)));
    if (model.trainedOn.corpora && model.trainedOn.corpora.length > 0) {
      expect(model.metrics!.macroF1).toBeGreaterThanOrEqual(validation.metrics.macroF1 - 0.001);
      expect(model.metrics!.perClass.promo.f1).toBeGreaterThanOrEqual(validation.metrics.perClass.promo.f1);
      return;
    }
    expect(validation.metrics.confusion).toEqual(model.metrics!.confusion);
    expect(validation.temperature).toBe(model.temperature);
    expect(validation.bias).toEqual(model.bias);
  });
});

const corpus = corpusDir();

describe.skipIf(corpus === null)('real pages (../shared/corpus, when present)', () => {
  it('winnow article text scores at least bare Readability with the benchmark metric', () => {
    const model = loadModel();
    const pages = loadCorpus(corpus!);
    const winnow = pages.map((page) => scoreText(moderate(page.html, { url: page.url, model }).text, page.truth));
    const readability = pages.map((page) => scoreText(readabilityBaseline(page.html, { url: page.url }).text, page.truth));
    const ours = aggregate(winnow);
    const theirs = aggregate(readability);
    console.log(`corpus: winnow F1 ${ours.f1.toFixed(3)} (P ${ours.precision.toFixed(3)} R ${ours.recall.toFixed(3)}), readability F1 ${theirs.f1.toFixed(3)}`);
    expect(ours.empty).toBe(0);
    expect(ours.f1).toBeGreaterThanOrEqual(theirs.f1);
  });
});
