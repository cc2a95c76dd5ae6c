import { classifyBlocks } from '../classify/classify.js';
import type { Model, ModelMetrics } from '../classify/model.js';
import { WinnowError } from '../errors.js';
import { isTruth, type LabeledPage } from '../train/fixtures.js';
import { addToConfusion, emptyConfusion, metricsFromConfusion } from '../train/metrics.js';
import { fitModel, pageFolds, type CrossValidation, type TrainingProgress } from '../train/train.js';
import type { Label } from '../types.js';

/** Both models' figures on one set of pages. */
export interface MetricsPair {
  candidate: ModelMetrics;
  current: ModelMetrics;
}

/** One block of a reviewed page that the candidate labels differently from the current model. */
export interface BlockChange {
  slug: string;
  path: string;
  /** The block's text, cut to {@link CHANGE_TEXT_LENGTH} characters. */
  text: string;
  /** What the reviewers decided. */
  truth: Label;
  current: Label;
  candidate: Label;
  /** `fixed`: the candidate now agrees with the reviewers; `broke`: it no longer does; `still wrong`: neither does. */
  verdict: 'fixed' | 'broke' | 'still wrong';
}

/**
 * A candidate model against the current one. `all` and `reviewed` are the fair pair: both
 * models' training configurations cross-validated on the same page-level folds of the same
 * pages, so neither is scored on pages it learned from.
 */
export interface ComparisonReport {
  /** Version of the candidate model. */
  candidate: string;
  /** Version of the model that was current when the report was made. */
  current: string;
  /** ISO timestamp. */
  createdAt: string;
  /** Hash of the fixture set both were scored on. */
  fixtureHash: string;
  /** How each side's figures were obtained. */
  method: string;
  pages: number;
  /** Pages exported from review (`meta.source` `review-export`). */
  reviewedPages: number;
  /** Pages the current model's configuration trains on (the candidate trains on all `pages`). */
  currentTrainingPages: number;
  /** Every page, both held out on the same folds. */
  all: MetricsPair;
  /** Only the review-export pages, both held out on the same folds; null when there are none. */
  reviewed: MetricsPair | null;
  /**
   * The current model file as it runs in production, on the same pages: in-sample on pages it
   * was trained on, so optimistic there. For reference only, never paired with the candidate.
   */
  deployed: { all: ModelMetrics; reviewed: ModelMetrics | null };
  /**
   * What reprocessing the review-export pages with the candidate would change: blocks a
   * reviewer decided whose label differs between the current model and the candidate.
   */
  changes: { fixed: number; broke: number; stillWrong: number; blocks: BlockChange[] };
}

export interface CompareInput {
  /** The labeled fixture pages the candidate was trained on. */
  pages: LabeledPage[];
  /** The candidate's cross-validation on `pages` (`trainModel`'s `validation`): its out-of-fold labels. */
  validation: CrossValidation;
  candidate: Model;
  current: Model;
  fixtureHash: string;
  /** Folds and seed the validation used (as passed to `trainModel`). @defaultValue 5 and 1 */
  folds?: number;
  seed?: number;
  /**
   * Slugs of pages the current model was not trained on (left out of its configuration's
   * training folds). @defaultValue every review-export page
   */
  newToCurrent?: ReadonlySet<string>;
  /** Words for how `newToCurrent` was decided, for the report's method. */
  newToCurrentBasis?: string;
  /** Called after each fold and page of the comparison (stage `comparing`). */
  onProgress?: (progress: TrainingProgress) => void;
}

/** Longest block text a change lists. */
const CHANGE_TEXT_LENGTH = 160;
/** Most changed blocks a report lists (the counts cover all). */
const MAX_LISTED_CHANGES = 300;

/** Pages exported from reviewers' corrections. */
export function isReviewExport(page: LabeledPage): boolean {
  return page.meta.source === 'review-export';
}

/**
 * Score candidate and current model on the same held-out pages. The candidate's labels are its
 * out-of-fold cross-validation predictions. The current model's configuration (its temperature,
 * class offsets, smoothing and passes) is fitted again on each fold's training pages, less the
 * pages it never had (`newToCurrent`), and labels the same held-out pages. Blocks left
 * unreviewed on exported pages count on neither side.
 *
 * @throws WinnowError `bad_input` when the cross-validation does not cover exactly these pages.
 */
export function compareModels(input: CompareInput): ComparisonReport {
  const { pages, validation, candidate, current } = input;
  const outOfFold = new Map(validation.pages.map((page) => [page.slug, page.predicted]));
  if (outOfFold.size !== pages.length || pages.some((page) => !outOfFold.has(page.slug))) {
    throw new WinnowError('bad_input', 'the cross-validation does not cover the same pages as the comparison');
  }
  const newToCurrent = input.newToCurrent ?? new Set(pages.filter(isReviewExport).map((page) => page.slug));
  const knownToCurrent = (page: LabeledPage) => !newToCurrent.has(page.slug);

  const folds = pageFolds(pages, input.folds ?? 5, input.seed);
  const steps = folds.length + pages.length;
  let step = 0;
  const tick = () => input.onProgress?.({ stage: 'comparing', done: ++step, total: steps });
  const currentHeldOut = new Map<string, Label[]>();
  for (const held of folds) {
    const training = pages.filter((page) => !held.includes(page) && knownToCurrent(page));
    const model = fitModel(training, {
      temperature: current.temperature,
      bias: current.bias,
      smoothing: current.smoothing,
      context: current.contextNb !== null,
      seed: input.seed,
    });
    for (const page of held) currentHeldOut.set(page.slug, labelsOf(page, model));
    tick();
  }

  const deployed = new Map<string, Label[]>();
  const shipped = new Map<string, Label[]>();
  for (const page of pages) {
    deployed.set(page.slug, labelsOf(page, current));
    if (isReviewExport(page)) shipped.set(page.slug, labelsOf(page, candidate));
    tick();
  }

  const reviewed = pages.filter(isReviewExport);
  const currentTrainingPages = pages.filter(knownToCurrent).length;
  const basis = input.newToCurrentBasis ?? 'every review-export page counts as new to it';
  const candidateMethod = `candidate ${candidate.version}: out-of-fold labels from ${validation.metrics.method}, trained on all ${pages.length} pages`;
  const currentMethod =
    `current ${current.version}: its configuration fitted again on the same folds, trained on the ${currentTrainingPages} pages it had ` +
    `(${basis}), labelling the same held-out pages`;
  const method = `${candidateMethod}; ${currentMethod}. Blocks reviewers left unreviewed count on neither side.`;
  const pair = (subset: LabeledPage[], scope: string): MetricsPair => ({
    candidate: metricsOf(subset, (page) => outOfFold.get(page.slug)!, `${candidateMethod}${scope}`),
    current: metricsOf(subset, (page) => currentHeldOut.get(page.slug)!, `${currentMethod}${scope}`),
  });
  const deployedMethod = `current ${current.version} as deployed: in-sample on the pages it was trained on`;

  return {
    candidate: candidate.version,
    current: current.version,
    createdAt: new Date().toISOString(),
    fixtureHash: input.fixtureHash,
    method,
    pages: pages.length,
    reviewedPages: reviewed.length,
    currentTrainingPages,
    all: pair(pages, ''),
    reviewed: reviewed.length === 0 ? null : pair(reviewed, ', review-export pages only'),
    deployed: {
      all: metricsOf(pages, (page) => deployed.get(page.slug)!, deployedMethod),
      reviewed: reviewed.length === 0 ? null : metricsOf(reviewed, (page) => deployed.get(page.slug)!, `${deployedMethod}, review-export pages only`),
    },
    changes: changesOn(reviewed, deployed, shipped),
  };
}

function labelsOf(page: LabeledPage, model: Model): Label[] {
  const kept = page.analysis.readabilityFound ? page.analysis.kept : null;
  return classifyBlocks(page.analysis.blocks, page.analysis.features, model, kept).map((verdict) => verdict.label);
}

/** Reviewed blocks whose label the candidate changes, with what each change does. */
function changesOn(pages: LabeledPage[], current: Map<string, Label[]>, candidate: Map<string, Label[]>): ComparisonReport['changes'] {
  const changes: ComparisonReport['changes'] = { fixed: 0, broke: 0, stillWrong: 0, blocks: [] };
  for (const page of pages) {
    const before = current.get(page.slug)!;
    const after = candidate.get(page.slug)!;
    page.gold.forEach((truth, i) => {
      if (!isTruth(page, i) || before[i] === after[i]) return;
      const verdict = after[i] === truth ? 'fixed' : before[i] === truth ? 'broke' : 'still wrong';
      if (verdict === 'fixed') changes.fixed++;
      else if (verdict === 'broke') changes.broke++;
      else changes.stillWrong++;
      const block = page.analysis.blocks[i];
      changes.blocks.push({ slug: page.slug, path: block.path, text: block.text.slice(0, CHANGE_TEXT_LENGTH), truth, current: before[i], candidate: after[i], verdict });
    });
  }
  // Broken blocks first: they are what a reviewer must look at before promoting.
  const order = { broke: 0, fixed: 1, 'still wrong': 2 } as const;
  changes.blocks.sort((a, b) => order[a.verdict] - order[b.verdict]);
  changes.blocks = changes.blocks.slice(0, MAX_LISTED_CHANGES);
  return changes;
}

function metricsOf(pages: LabeledPage[], labels: (page: LabeledPage) => Label[], method: string): ModelMetrics {
  const confusion = emptyConfusion();
  for (const page of pages) {
    const predicted = labels(page);
    page.gold.forEach((gold, i) => {
      if (isTruth(page, i)) addToConfusion(confusion, gold, predicted[i]);
    });
  }
  return metricsFromConfusion(confusion, method);
}
