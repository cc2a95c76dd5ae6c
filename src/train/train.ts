import { classifyBlocks, scoreBlocks } from '../classify/classify.js';
import { modelVersion, type Model, type ModelMetrics } from '../classify/model.js';
import { contextFeatures, mergeBags } from '../classify/context.js';
import {
  scoreNaiveBayes,
  softmax,
  trainNaiveBayes,
  type NaiveBayesParameters,
  type TrainingExample,
  type TrainOptions,
} from '../classify/naive-bayes.js';
import { DEFAULT_SMOOTHING, type SmoothingOptions } from '../classify/smooth.js';
import { FEATURE_VERSION } from '../features/constants.js';
import { LABELS, type Label } from '../types.js';
import { isTruth, type LabeledPage } from './fixtures.js';
import { addToConfusion, emptyConfusion, metricsFromConfusion } from './metrics.js';
import { mulberry32 } from './seeded-random.js';

export interface TrainModelOptions extends TrainOptions {
  smoothing?: SmoothingOptions;
  /** Train the second, context-aware pass. @defaultValue true */
  context?: boolean;
  /** Per-class log-odds offsets; when omitted the promo offset is chosen by cross-validation. */
  bias?: number[];
  /** Held-out promo recall the chosen offset must reach. @defaultValue 0.95 */
  promoRecallTarget?: number;
  /** Softmax temperature; when omitted it is fitted by cross-validation. */
  temperature?: number;
  fixtureHash?: string;
  /** Folds for cross-validation (pages, never blocks, are split). @defaultValue 5 */
  folds?: number;
  seed?: number;
  /**
   * Weight of a block from a page exported from reviewers' corrections (`meta.source` is
   * `review-export`), against 1 for a hand-written fixture block.
   * @defaultValue REVIEWED_PAGE_WEIGHT
   */
  reviewedWeight?: number;
  /**
   * How much pages aligned from a corpus's ground truth (`meta.source` is `corpus-aligned`)
   * add to each class, as a share of the labeled pages' own mass of that class (see classMix).
   * @defaultValue CORPUS_PAGE_WEIGHT
   */
  corpusWeight?: number;
  /**
   * Pages added to the training set of every fold and of the final fit, never held out or
   * scored: corpus pages whose labels are aligned guesses, while the metrics and the operating
   * point (temperature, promo bias) are measured on the hand-labeled pages.
   */
  extraPages?: LabeledPage[];
  /** Corpora the extra pages come from, recorded in the model's `trainedOn`. */
  corpora?: { name: string; version: string }[];
  /** Called as training advances: cross-validation folds fitted, then the final fit. */
  onProgress?: (progress: TrainingProgress) => void;
}

/** How far training is: `done` of `total` steps of `stage` (`folds`, `fitting`). */
export interface TrainingProgress {
  stage: string;
  done: number;
  total: number;
}

/** Candidate temperatures: NB's log-likelihoods sum over many tokens, so posteriors are too sharp. */
/** Held-out promo recall the operating point aims for. */
const PROMO_RECALL_TARGET = 0.95;
/** Candidate promo biases, in log-odds after tempering. */
const PROMO_BIASES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1];
/** Most macro F1 the promo-recall target may cost against the best candidate bias. */
const MAX_MACRO_F1_COST = 0.01;

/**
 * Reviewed pages count more than hand-written ones: each is a template the model got wrong in
 * production, and one page among dozens would otherwise barely move it.
 */
export const REVIEWED_PAGE_WEIGHT = 3;

/**
 * What the aligned corpus adds to each class, as a share of the fixtures' own mass of that class
 * (see classMix): its labels are guesses from text alignment, promo is never in a benchmark's
 * ground truth, and its notion of main content is a little wider than the labeling guide's.
 * Chosen by cross-validation (docs/BENCHMARKS.md).
 */
export const CORPUS_PAGE_WEIGHT = 0.1;

/**
 * A block that is not main content on a page whose labels cannot tell promo from boilerplate
 * (aligned corpus pages) teaches boilerplate only while the fixture-trained model's promo share
 * stays under this; above it the block is left out: the corpus has no say on promo, and
 * teaching either label there would overrule the fixtures' promo knowledge with a guess.
 */
const UNSURE_PROMO_SHARE = 0.5;

/** Folds inside a training set that give the second pass honest first-pass verdicts. */
const INNER_FOLDS = 5;

const TEMPERATURES = [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32];

/**
 * Fit both passes on every block of the given pages (no metrics, no temperature fitting). The
 * second pass learns from first-pass verdicts on pages the first pass did not see (inner
 * folds), as it will meet them on new pages.
 */
export function fitModel(labeled: LabeledPage[], trainOptions: TrainModelOptions = {}): Model {
  const extra = trainOptions.extraPages ?? [];
  const pages = extra.length > 0 ? [...labeled, ...extra] : labeled;
  const options: FitOptions = { ...trainOptions, mix: extra.length > 0 ? classMix(pages, trainOptions) : undefined };
  const nb = trainNaiveBayes(LABELS, examplesOf(pages, options), options);
  const contextNb = options.context === false || pages.length < 2 ? null : fitContextPass(pages, options);
  const temperature = options.temperature ?? 1;
  const bias = options.bias ?? LABELS.map(() => 0);
  const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
  return {
    version: modelVersion({ nb, contextNb, temperature, bias, smoothing }),
    featureVersion: FEATURE_VERSION,
    createdAt: new Date().toISOString(),
    labels: [...LABELS],
    nb,
    contextNb,
    temperature,
    bias,
    smoothing,
    trainedOn: trainedOn(pages, options),
    metrics: null,
  };
}

function trainedOn(pages: LabeledPage[], options: TrainModelOptions): Model['trainedOn'] {
  const sources: Record<string, number> = {};
  for (const page of pages) sources[page.meta.source ?? 'hand-written'] = (sources[page.meta.source ?? 'hand-written'] ?? 0) + 1;
  const corpusPages = sources['corpus-aligned'] ?? 0;
  return {
    pages: pages.length,
    blocks: pages.reduce((sum, page) => sum + page.gold.filter((_, i) => isTruth(page, i)).length, 0),
    fixtureHash: options.fixtureHash ?? '',
    sources,
    ...(corpusPages > 0 && options.corpora
      ? { corpora: options.corpora.map((corpus) => ({ ...corpus, pages: corpusPages, weight: options.corpusWeight ?? CORPUS_PAGE_WEIGHT })) }
      : {}),
  };
}

/**
 * How aligned corpus blocks mix with labeled ones, per class. Multinomial NB normalises each
 * class's token counts by the class's total, so pouring real pages' editorial and boilerplate
 * blocks into those two classes alone would shrink every token's likelihood there against promo
 * (which the corpus cannot teach): fixture chrome would drift to promo. Instead the corpus adds
 * to each class `corpusWeight` times the fixtures' own mass of that class: editorial and
 * boilerplate by corpus blocks scaled to that mass, promo by counting the labeled promo blocks
 * (1 + corpusWeight) times. Every class total grows by the same factor, so priors and the
 * classes' balance stay the fixtures', and the corpus reshapes what each class looks like.
 */
interface ClassMix {
  /** Weight of one aligned corpus block of each class (LABELS order). */
  corpus: number[];
  /** Multiplier of a labeled page's promo blocks. */
  labeledPromo: number;
}

interface FitOptions extends TrainModelOptions {
  mix?: ClassMix;
}

function classMix(pages: LabeledPage[], options: TrainModelOptions): ClassMix {
  const share = options.corpusWeight ?? CORPUS_PAGE_WEIGHT;
  const labeled = LABELS.map(() => 0);
  const corpus = LABELS.map(() => 0);
  for (const page of pages) {
    const isCorpus = page.meta.source === 'corpus-aligned';
    const weight = isCorpus ? 1 : pageWeight(page, options);
    page.analysis.features.forEach((features, i) => {
      if (!isTruth(page, i)) return;
      let mass = 0;
      for (const value of features.values()) mass += value;
      for (const example of blockExamples(page, i, features, weight)) {
        (isCorpus ? corpus : labeled)[LABELS.indexOf(example.label as Label)] += mass * (example.weight ?? 1);
      }
    });
  }
  const promo = LABELS.indexOf('promo');
  return {
    corpus: LABELS.map((_, c) => (c === promo || corpus[c] === 0 ? 0 : (share * labeled[c]) / corpus[c])),
    labeledPromo: 1 + share,
  };
}

function examplesOf(pages: LabeledPage[], options: FitOptions): TrainingExample[] {
  return pages.flatMap((page) => {
    const weight = pageWeight(page, options);
    return page.analysis.features.flatMap((features, i) => (isTruth(page, i) ? mixed(page, blockExamples(page, i, features, weight), options.mix) : []));
  });
}

/** Apply the class mix: corpus examples take their class's weight, labeled promo its multiplier. */
function mixed(page: LabeledPage, examples: TrainingExample[], mix: ClassMix | undefined): TrainingExample[] {
  if (!mix) return examples;
  const isCorpus = page.meta.source === 'corpus-aligned';
  return examples.map((example) => {
    const c = LABELS.indexOf(example.label as Label);
    if (isCorpus) return { ...example, weight: (example.weight ?? 1) * mix.corpus[c] };
    return example.label === 'promo' ? { ...example, weight: (example.weight ?? 1) * mix.labeledPromo } : example;
  });
}

/**
 * A block's training examples: one with its gold label, or, for a block that is not editorial
 * on a page with a promo share (aligned corpus pages), one promo and one boilerplate example
 * splitting its weight by the share.
 */
function blockExamples(page: LabeledPage, i: number, features: Map<string, number>, weight: number): TrainingExample[] {
  const share = page.promoShare?.[i];
  if (share === undefined || page.gold[i] === 'editorial') return [{ features, label: page.gold[i], weight }];
  return share >= UNSURE_PROMO_SHARE ? [] : [{ features, label: 'boilerplate', weight }];
}

function pageWeight(page: LabeledPage, options: TrainModelOptions): number {
  if (page.meta.source === 'review-export') return options.reviewedWeight ?? REVIEWED_PAGE_WEIGHT;
  // A corpus block's weight comes from the class mix (classMix).
  return 1;
}

function fitContextPass(pages: LabeledPage[], options: FitOptions): NaiveBayesParameters {
  const examples: TrainingExample[] = [];
  for (const held of pageFolds(pages, INNER_FOLDS, options.seed)) {
    const firstPass = trainNaiveBayes(LABELS, examplesOf(pages.filter((page) => !held.includes(page)), options), options);
    for (const page of held) {
      const posteriors = page.analysis.features.map((bag) => softmax(scoreNaiveBayes(firstPass, bag)));
      const context = contextFeatures(page.analysis.blocks, posteriors, LABELS);
      const weight = pageWeight(page, options);
      page.analysis.features.forEach((bag, i) => {
        if (isTruth(page, i)) examples.push(...mixed(page, blockExamples(page, i, mergeBags(bag, context[i]), weight), options.mix));
      });
    }
  }
  return trainNaiveBayes(LABELS, examples, options);
}

/**
 * Split pages into k folds (never blocks: blocks of one page share a template and would leak),
 * deterministically for a seed.
 */
export function pageFolds(pages: LabeledPage[], folds: number, seed = 1): LabeledPage[][] {
  const order = [...pages].sort((a, b) => a.slug.localeCompare(b.slug));
  const random = mulberry32(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const k = Math.max(2, Math.min(folds, order.length));
  return Array.from({ length: k }, (_, f) => order.filter((_, i) => i % k === f));
}

export interface CrossValidation {
  metrics: ModelMetrics;
  /** Per page: gold and predicted labels, for per-page reports. */
  pages: { slug: string; template: string; gold: Label[]; predicted: Label[]; texts: string[] }[];
  temperature: number;
  /** Per-class log-odds offsets chosen for the operating point. */
  bias: number[];
}

/**
 * k-fold cross-validation by page of the whole labeling step (classifier, temperature and
 * smoothing). The temperature is fitted on out-of-fold scores first, then the folds are scored.
 */
export function crossValidate(pages: LabeledPage[], options: TrainModelOptions = {}): CrossValidation {
  const folds = pageFolds(pages, options.folds ?? 5, options.seed);
  options.onProgress?.({ stage: 'folds', done: 0, total: folds.length });
  const foldModels = folds.map((held, f) => {
    const model = fitModel(pages.filter((page) => !held.includes(page)), { ...options, temperature: 1 });
    options.onProgress?.({ stage: 'folds', done: f + 1, total: folds.length });
    return model;
  });
  const temperature = options.temperature ?? fitTemperature(folds, foldModels);
  const score = (bias: number[]) => scoreFolds(folds, foldModels.map((model) => ({ ...model, temperature, bias })));
  const bias = options.bias ?? choosePromoBias(score, options.promoRecallTarget ?? PROMO_RECALL_TARGET);
  const { confusion, reports } = score(bias);
  const extra = options.extraPages?.length ?? 0;
  const method =
    `${folds.length}-fold cross-validation by page (${pages.length} pages, seed ${options.seed ?? 1})` +
    (extra > 0 ? `, ${extra} aligned corpus pages (class share ${options.corpusWeight ?? CORPUS_PAGE_WEIGHT}) in every fold's training set` : '');
  return { metrics: metricsFromConfusion(confusion, method), pages: reports, temperature, bias };
}

/** Label every held-out page with its fold's model. */
function scoreFolds(folds: LabeledPage[][], models: Model[]): { confusion: number[][]; reports: CrossValidation['pages'] } {
  const confusion = emptyConfusion();
  const reports: CrossValidation['pages'] = [];
  folds.forEach((held, f) => {
    for (const page of held) {
      const kept = page.analysis.readabilityFound ? page.analysis.kept : null;
      const predicted = classifyBlocks(page.analysis.blocks, page.analysis.features, models[f], kept).map((verdict) => verdict.label);
      page.gold.forEach((gold, i) => {
        if (isTruth(page, i)) addToConfusion(confusion, gold, predicted[i]);
      });
      reports.push({
        slug: page.slug,
        template: page.meta.template,
        gold: page.gold,
        predicted,
        texts: page.analysis.blocks.map((block) => block.text),
      });
    }
  });
  return { confusion, reports };
}

/**
 * The operating point: the promo bias with the best macro F1 among those whose held-out promo
 * recall reaches the target (an ad left in an article costs more than an extra box removed),
 * as long as it costs at most MAX_MACRO_F1_COST of the best macro F1 any candidate gives;
 * otherwise the candidate with the best macro F1. A bias that buys the last points of promo
 * recall by calling a third of the site's own chrome an ad is not worth it.
 */
function choosePromoBias(score: (bias: number[]) => { confusion: number[][] }, target: number): number[] {
  const promo = LABELS.indexOf('promo');
  const candidates = PROMO_BIASES.map((value) => {
    const bias = LABELS.map((_, c) => (c === promo ? value : 0));
    const metrics = metricsFromConfusion(score(bias).confusion, '');
    return { bias, macroF1: metrics.macroF1, promoRecall: metrics.perClass.promo.recall };
  });
  const best = (list: typeof candidates) => list.reduce((a, b) => (b.macroF1 > a.macroF1 ? b : a));
  const overall = best(candidates);
  const reaching = candidates.filter((c) => c.promoRecall >= target && c.macroF1 >= overall.macroF1 - MAX_MACRO_F1_COST);
  return (reaching.length > 0 ? best(reaching) : overall).bias;
}

/** Temperature minimising the log loss of held-out blocks' gold labels. */
export function fitTemperature(folds: LabeledPage[][], models: Model[]): number {
  const heldOut: { scores: number[]; gold: number }[] = [];
  folds.forEach((held, f) => {
    for (const page of held) {
      const { scores } = scoreBlocks(page.analysis.blocks, page.analysis.features, models[f]);
      scores.forEach((row, i) => {
        if (isTruth(page, i)) heldOut.push({ scores: row, gold: LABELS.indexOf(page.gold[i]) });
      });
    }
  });
  let best = { temperature: 1, loss: Infinity };
  for (const temperature of TEMPERATURES) {
    let loss = 0;
    for (const { scores, gold } of heldOut) loss -= Math.log(Math.max(softmax(scores, temperature)[gold], 1e-12));
    if (loss < best.loss) best = { temperature, loss };
  }
  return best.temperature;
}

/**
 * Train the model that ships: cross-validate for metrics and temperature, then fit on all pages.
 */
export function trainModel(pages: LabeledPage[], options: TrainModelOptions = {}): { model: Model; validation: CrossValidation } {
  const validation = crossValidate(pages, options);
  options.onProgress?.({ stage: 'fitting', done: 0, total: 1 });
  const model = fitModel(pages, { ...options, temperature: validation.temperature, bias: validation.bias });
  options.onProgress?.({ stage: 'fitting', done: 1, total: 1 });
  return { model: { ...model, metrics: validation.metrics }, validation };
}

