import { describe, expect, it } from 'vitest';
import { classifyBlocks, scoreBlocks } from '../../src/classify/classify.js';
import { loadModel } from '../../src/classify/model.js';
import { softmax, topFeatures } from '../../src/classify/naive-bayes.js';
import { analyzePage } from '../../src/pipeline.js';
import { loadFixtures } from '../../src/train/fixtures.js';
import { LABELS } from '../../src/types.js';

describe('classifyBlocks', () => {
  const model = loadModel();
  const pages = loadFixtures().slice(0, 12);

  // classifyBlocks scores both passes with one lookup per token and explains from the rows it
  // found; scoreBlocks and topFeatures are the plain definitions.
  it('gives the scores and top features of the plain two-pass definition, on fixture pages', () => {
    for (const page of pages) {
      const analysis = analyzePage(page.html, { url: page.meta.url });
      const kept = analysis.readabilityFound ? analysis.kept : null;
      const verdicts = classifyBlocks(analysis.blocks, analysis.features, model, kept);
      const { scores, bags } = scoreBlocks(analysis.blocks, analysis.features, model);
      const explainer = model.contextNb ?? model.nb;
      const labels = model.nb.classes;
      verdicts.forEach((verdict, i) => {
        const biased = scores[i].map((score, c) => score + (model.bias?.[c] ?? 0) * model.temperature);
        const posterior = softmax(biased, model.temperature);
        for (const name of LABELS) expect(verdict.scores[name]).toBe(Math.round(posterior[labels.indexOf(name)] * 1e4) / 1e4);
        expect(verdict.topFeatures, `${page.slug} block ${i}`).toEqual(topFeatures(explainer, bags[i], labels.indexOf(verdict.label)));
      });
    }
  });
});
