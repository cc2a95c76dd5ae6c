import { saveModel, defaultModelDir, loadModel } from '../classify/model.js';
import type { EngineName } from '../types.js';
import { defaultFixtureDir, fixtureSetHash, labelFixture, loadFixtures, type LabeledPage } from '../train/fixtures.js';
import { formatMetrics } from '../train/metrics.js';
import { crossValidate, trainModel } from '../train/train.js';

export interface TrainCommandOptions {
  fixtures?: string;
  modelDir?: string;
  folds?: number;
  engine?: EngineName;
  /** Write the model without making it current. */
  promote?: boolean;
}

/** Load and label every fixture page; labeling gaps fail here, before any training. */
export function labeledFixtures(dir: string, engine?: EngineName): { pages: LabeledPage[]; hash: string } {
  const fixtures = loadFixtures(dir);
  return { pages: fixtures.map((page) => labelFixture(page, { engine })), hash: fixtureSetHash(fixtures) };
}

/** `winnow train`: rebuild the model from fixtures, with cross-validated metrics. */
export function trainCommand(options: TrainCommandOptions, log: (line: string) => void = console.log): string {
  const fixturesDir = options.fixtures ?? defaultFixtureDir();
  const modelDir = options.modelDir ?? defaultModelDir();
  const { pages, hash } = labeledFixtures(fixturesDir, options.engine);
  const blocks = pages.reduce((sum, page) => sum + page.gold.length, 0);
  log(`training on ${pages.length} pages, ${blocks} blocks from ${fixturesDir}`);
  const { model, validation } = trainModel(pages, { folds: options.folds, fixtureHash: hash });
  const file = saveModel(model, modelDir, { makeCurrent: options.promote ?? true });
  log(formatMetrics(model.metrics!));
  log(`\ntemperature ${validation.temperature}; bias ${JSON.stringify(validation.bias)}; model ${model.version} written to ${file}${options.promote === false ? ' (not current)' : ' (current)'}`);
  return model.version;
}

/** `winnow eval`: cross-validated metrics of the method on the fixtures, beside the shipped model's. */
export function evalCommand(options: TrainCommandOptions & { pages?: boolean }, log: (line: string) => void = console.log): void {
  const { pages } = labeledFixtures(options.fixtures ?? defaultFixtureDir(), options.engine);
  const validation = crossValidate(pages, { folds: options.folds });
  log(formatMetrics(validation.metrics));
  if (options.pages) {
    log('\nper page (errors / blocks):');
    for (const page of validation.pages) {
      const wrong = page.gold.filter((gold, i) => gold !== page.predicted[i]).length;
      log(`  ${page.slug.padEnd(36)} ${String(wrong).padStart(4)} / ${page.gold.length}  [${page.template}]`);
      page.gold.forEach((gold, i) => {
        if (gold !== page.predicted[i]) log(`      ${gold} -> ${page.predicted[i]}: ${page.texts[i].slice(0, 90).replace(/\s+/g, ' ')}`);
      });
    }
  }
  try {
    const current = loadModel(options.modelDir ?? defaultModelDir());
    log(`\nshipped model ${current.version} (${current.metrics?.method ?? 'no metrics'}): macro F1 ${current.metrics?.macroF1 ?? 'n/a'}`);
  } catch (error) {
    log(`\nno shipped model: ${(error as Error).message}`);
  }
}
