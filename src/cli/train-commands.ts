import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { saveModel, defaultModelDir, loadModel, packageRoot, type Model } from '../classify/model.js';
import { alignCorpus, type AlignedCorpus } from '../corpus/aligned-corpus.js';
import { isWcxbDir, wcxbDir } from '../corpus/wcxb.js';
import { FixtureError } from '../errors.js';
import { labelPageHtml, verifyFixture } from '../review/export.js';
import type { EngineName } from '../types.js';
import { defaultFixtureDir, fixtureSetHash, labelFixture, loadFixtures, type LabeledPage } from '../train/fixtures.js';
import { formatMetrics } from '../train/metrics.js';
import { CORPUS_PAGE_WEIGHT, crossValidate, fitModel, trainModel } from '../train/train.js';

export interface TrainCommandOptions {
  fixtures?: string;
  modelDir?: string;
  folds?: number;
  engine?: EngineName;
  /** Write the model without making it current. */
  promote?: boolean;
  /**
   * WCXB split to train on besides the fixtures: a folder, false for none.
   * @defaultValue the split beside the repository (`../shared/corpus/wcxb-dev`, or WINNOW_CORPUS_DIR) when present
   */
  corpus?: string | false;
  /** Weight of an aligned corpus block. @defaultValue CORPUS_PAGE_WEIGHT */
  corpusWeight?: number;
  /** At most this many corpus pages (quick runs). */
  corpusPages?: number;
}

/** The corpus folder a command uses: the one named, none when false, else the default one if present. */
export function resolveCorpusDir(corpus: string | false | undefined): string | null {
  if (corpus === false) return null;
  if (corpus !== undefined) {
    if (!isWcxbDir(corpus)) throw new FixtureError(`${corpus} is not a WCXB split (html/, ground-truth/, metadata.json)`);
    return resolve(corpus);
  }
  return wcxbDir();
}

/**
 * Read and align a corpus split for training, with non-editorial blocks split into promo and
 * boilerplate by a model fitted on the fixtures alone.
 */
export function alignedCorpusFor(dir: string, fixtures: LabeledPage[], options: { engine?: EngineName; limit?: number; readability?: boolean }, log: (line: string) => void): AlignedCorpus {
  const promoModel = fitModel(fixtures, {});
  const started = performance.now();
  const corpus = alignCorpus(dir, {
    engine: options.engine,
    limit: options.limit,
    promoModel,
    readability: options.readability,
    onProgress: (done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\raligning ${dir}: ${done}/${total}`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const blocks = corpus.pages.reduce((sum, page) => sum + page.gold.length, 0);
  const covered = corpus.pages.reduce((sum, page) => sum + page.alignment.truthCovered, 0) / Math.max(1, corpus.pages.length);
  log(
    `corpus ${corpus.info.name} ${corpus.info.version} (${corpus.info.split}): ${corpus.pages.length} pages, ${blocks} blocks aligned in ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
      `truth covered by aligned blocks ${(covered * 100).toFixed(1)}% per page; ${corpus.skipped.length} pages skipped`,
  );
  return corpus;
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
  const corpusDir = resolveCorpusDir(options.corpus);
  const corpus = corpusDir === null ? null : alignedCorpusFor(corpusDir, pages, { engine: options.engine, limit: options.corpusPages }, log);
  if (corpus === null) log('no corpus: training on the fixtures alone');
  const started = performance.now();
  const { model, validation } = trainModel(pages, {
    folds: options.folds,
    fixtureHash: hash,
    extraPages: corpus?.pages,
    corpusWeight: options.corpusWeight,
    corpora: corpus ? [{ name: `${corpus.info.name} (${corpus.info.split})`, version: corpus.info.version }] : undefined,
  });
  log(`trained in ${((performance.now() - started) / 1000).toFixed(0)} s (cross-validation on the fixtures, corpus pages in every fold's training set)`);
  const file = saveModel(model, modelDir, { makeCurrent: options.promote ?? true });
  log(formatMetrics(model.metrics!));
  log(`\ntemperature ${validation.temperature}; bias ${JSON.stringify(validation.bias)}; model ${model.version} written to ${file}${options.promote === false ? ' (not current)' : ' (current)'}`);
  return model.version;
}

/** `winnow eval`: cross-validated metrics of the method on the fixtures, beside the shipped model's. */
export function evalCommand(options: TrainCommandOptions & { pages?: boolean; corpusWeights?: number[] }, log: (line: string) => void = console.log): void {
  const { pages } = labeledFixtures(options.fixtures ?? defaultFixtureDir(), options.engine);
  const corpusDir = resolveCorpusDir(options.corpus ?? false);
  const corpus = corpusDir === null ? null : alignedCorpusFor(corpusDir, pages, { engine: options.engine, limit: options.corpusPages }, log);
  const weights = corpus === null ? [0] : (options.corpusWeights ?? [options.corpusWeight ?? CORPUS_PAGE_WEIGHT]);
  let validation = crossValidate(pages, { folds: options.folds });
  for (const weight of weights) {
    if (corpus !== null) {
      validation = crossValidate(pages, { folds: options.folds, extraPages: weight > 0 ? corpus.pages : undefined, corpusWeight: weight });
      log(`\ncorpus class share ${weight}: fixtures' held-out macro F1 ${validation.metrics.macroF1.toFixed(3)}`);
    }
    log(formatMetrics(validation.metrics));
  }
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

/**
 * `winnow fixtures import <corpus dir> --out DIR`: write every page of a WCXB split as a fixture
 * page (page.html with the aligned labels inline, meta.json with `source: "corpus-aligned"` and
 * provenance) into a folder outside the repository's fixtures, for a person to review and correct.
 */
export function importCommand(
  corpusDirArg: string,
  options: { out: string; engine?: EngineName; limit?: number; fixtures?: string },
  log: (line: string) => void = console.log,
): { written: number; skipped: number } {
  const out = resolve(options.out);
  const forbidden = [resolve(packageRoot(), 'fixtures'), resolve(options.fixtures ?? defaultFixtureDir())];
  for (const dir of forbidden) {
    const rel = relative(dir, out);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
      throw new FixtureError(`refusing to write corpus pages into ${dir}: the corpus must never be copied into the repository; pick a folder outside it`);
    }
  }
  const dir = resolveCorpusDir(corpusDirArg)!;
  const { pages: fixtures } = labeledFixtures(options.fixtures ?? defaultFixtureDir(), options.engine);
  const corpus = alignedCorpusFor(dir, fixtures, { engine: options.engine, limit: options.limit }, log);
  mkdirSync(out, { recursive: true });
  let written = 0;
  let skipped = 0;
  for (const page of corpus.pages) {
    const source = loadPageHtml(dir, page.corpusPage.id);
    try {
      const blocks = page.analysis.blocks.map((block, i) => ({ path: block.path, text: block.text, label: page.gold[i] }));
      const labeled = labelPageHtml(source, blocks, { url: page.meta.url, engine: options.engine });
      const folder = join(out, page.slug);
      // Read back as training will: the same blocks with exactly the aligned labels, or skip the page.
      verifyFixture({ slug: page.slug, dir: folder, html: labeled.html, meta: page.meta }, blocks, labeled.labels, options.engine);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'page.html'), labeled.html);
      const notes = labeled.warnings.length > 0 ? `aligned from the ground truth, not reviewed; ${labeled.warnings.length} container(s) with split labels took their majority` : 'aligned from the ground truth, not reviewed';
      writeFileSync(join(folder, 'meta.json'), JSON.stringify({ ...page.meta, notes }, null, 2) + '\n');
      written++;
    } catch (error) {
      skipped++;
      log(`  ${page.slug} skipped: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  log(`${written} pages written to ${out} (${skipped + corpus.skipped.length} skipped); labels are aligned, not reviewed`);
  return { written, skipped: skipped + corpus.skipped.length };
}

function loadPageHtml(dir: string, id: string): string {
  const file = join(dir, 'html', `${id}.html.gz`);
  if (!existsSync(file)) throw new FixtureError(`no ${file}`);
  return new TextDecoder('utf-8').decode(gunzipSync(readFileSync(file)));
}
