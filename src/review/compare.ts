import { classifyBlocks } from '../classify/classify.js';
import type { Model, ModelMetrics } from '../classify/model.js';
import { WinnowError } from '../errors.js';
import type { LabeledPage } from '../train/fixtures.js';
import { addToConfusion, emptyConfusion, metricsFromConfusion } from '../train/metrics.js';
import type { CrossValidation, TrainingProgress } from '../train/train.js';
import type { Label } from '../types.js';

/** A candidate model against the current one, on the same pages and the same page-level split. */
export interface ComparisonReport {
  /** Version of the candidate model. */
  candidate: string;
  /** Version of the model that was current when the report was made. */
  current: string;
  /** ISO timestamp. */
  createdAt: string;
  /** Hash of the fixture set both were scored on. */
  fixtureHash: string;
  /** How each side's figures were obtained, including where they are in-sample. */
  method: string;
  pages: number;
  /** Pages exported from review (`meta.source` `review-export`). */
  reviewedPages: number;
  /** Every page. */
  all: { candidate: ModelMetrics; current: ModelMetrics };
  /** Only the review-export pages; null when there are none. */
  reviewed: { candidate: ModelMetrics; current: ModelMetrics } | null;
}

export interface CompareInput {
  /** The labeled fixture pages the candidate was trained on. */
  pages: LabeledPage[];
  /** The candidate's cross-validation on `pages` (`trainModel`'s `validation`): its out-of-fold labels. */
  validation: CrossValidation;
  candidate: Model;
  current: Model;
  fixtureHash: string;
  /** Called after each page the current model labels (stage `comparing`). */
  onProgress?: (progress: TrainingProgress) => void;
}

/** Pages exported from reviewers' corrections. */
export function isReviewExport(page: LabeledPage): boolean {
  return page.meta.source === 'review-export';
}

/**
 * Score candidate and current model on the same pages. The candidate's labels are its
 * out-of-fold cross-validation predictions (each page labeled by a model trained without it);
 * the current model labels every page as it would in production. The current model was trained
 * on the hand-written pages, so its figures on them are in-sample (optimistic); review-export
 * pages are reported apart because there both sides are out of sample.
 *
 * @throws WinnowError `bad_input` when the cross-validation does not cover exactly these pages.
 */
export function compareModels(input: CompareInput): ComparisonReport {
  const { pages, validation, candidate, current } = input;
  const outOfFold = new Map(validation.pages.map((page) => [page.slug, page.predicted]));
  if (outOfFold.size !== pages.length || pages.some((page) => !outOfFold.has(page.slug))) {
    throw new WinnowError('bad_input', 'the cross-validation does not cover the same pages as the comparison');
  }

  const currentLabels = new Map<string, Label[]>();
  pages.forEach((page, i) => {
    const kept = page.analysis.readabilityFound ? page.analysis.kept : null;
    currentLabels.set(page.slug, classifyBlocks(page.analysis.blocks, page.analysis.features, current, kept).map((verdict) => verdict.label));
    input.onProgress?.({ stage: 'comparing', done: i + 1, total: pages.length });
  });

  const reviewed = pages.filter(isReviewExport);
  const handWritten = pages.length - reviewed.length;
  const candidateMethod = `candidate ${candidate.version}: out-of-fold labels from ${validation.metrics.method}`;
  const currentMethod =
    `current ${current.version}: its own labels on the same pages, in-sample on the ${handWritten} pages that are not review exports ` +
    `(it was trained on them, so its figures there are optimistic)`;
  const reviewedMethod =
    reviewed.length > 0
      ? `; "reviewed" covers the ${reviewed.length} review-export pages, new to the current model unless it was trained after they were exported`
      : '';

  return {
    candidate: candidate.version,
    current: current.version,
    createdAt: new Date().toISOString(),
    fixtureHash: input.fixtureHash,
    method: `${candidateMethod}; ${currentMethod}${reviewedMethod}`,
    pages: pages.length,
    reviewedPages: reviewed.length,
    all: {
      candidate: metricsOf(pages, (page) => outOfFold.get(page.slug)!, candidateMethod),
      current: metricsOf(pages, (page) => currentLabels.get(page.slug)!, currentMethod),
    },
    reviewed:
      reviewed.length === 0
        ? null
        : {
            candidate: metricsOf(reviewed, (page) => outOfFold.get(page.slug)!, `${candidateMethod}, review-export pages only`),
            current: metricsOf(reviewed, (page) => currentLabels.get(page.slug)!, `current ${current.version}: review-export pages only`),
          },
  };
}

function metricsOf(pages: LabeledPage[], labels: (page: LabeledPage) => Label[], method: string): ModelMetrics {
  const confusion = emptyConfusion();
  for (const page of pages) {
    const predicted = labels(page);
    page.gold.forEach((gold, i) => addToConfusion(confusion, gold, predicted[i]));
  }
  return metricsFromConfusion(confusion, method);
}
