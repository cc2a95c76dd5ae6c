/**
 * The article-extraction benchmark's text metric (Scrapinghub/Zyte article-extraction-benchmark,
 * as specified in `../shared/corpus/README.md`): shingle-multiset matching between the predicted
 * article text and the ground truth, averaged over pages.
 *
 * The whole metric is here so the benchmark, tests and any later tooling score text the same way.
 */

/** Maximal runs of Unicode letters, digits and underscore. */
const TOKEN_RE = /[\p{L}\p{N}_]+/gu;

/** Shingle window length of the benchmark. */
export const SHINGLE_SIZE = 4;

/**
 * Splits text into the metric's tokens.
 *
 * @param text - Any text (article body, prediction).
 * @returns Tokens in order: maximal runs of Unicode letters, digits and underscore, case kept;
 *   every other character (whitespace, punctuation, symbols) is dropped. Unit: tokens.
 */
export function tokenize(text: string): string[] {
  return text.match(TOKEN_RE) ?? [];
}

/**
 * Counts the shingles (windows of `n` consecutive tokens) of a token list, as a multiset.
 *
 * A list of 1 to n-1 tokens gives one shorter shingle (all of its tokens); an empty list gives
 * none.
 *
 * @param tokens - Output of {@link tokenize}.
 * @param n - Window length in tokens (default 4, the benchmark's).
 * @returns Map from shingle (its tokens joined by one space; tokens never contain spaces) to the
 *   number of times it occurs. Unit: shingle occurrences.
 */
export function shingles(tokens: readonly string[], n: number = SHINGLE_SIZE): Map<string, number> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`shingle size must be a positive integer, got ${n}`);
  const counts = new Map<string, number>();
  if (tokens.length === 0) return counts;
  if (tokens.length < n) {
    counts.set(tokens.join(' '), 1);
    return counts;
  }
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** One page's match counts, each a fraction of TP+FP+FN of that page (so they sum to 1, or all 0). */
export interface PageCounts {
  /** Shingles both in prediction and truth: sum of min(true, pred), over TP+FP+FN. */
  tp: number;
  /** Predicted shingles not in the truth: sum of max(0, pred - true), over TP+FP+FN. */
  fp: number;
  /** True shingles missing from the prediction: sum of max(0, true - pred), over TP+FP+FN. */
  fn: number;
}

/** A scored page as {@link aggregate} takes it. */
export interface PageScore extends PageCounts {
  /** The prediction had no tokens (nothing extracted, or the extractor failed). */
  predictedEmpty: boolean;
}

/** Benchmark summary over a set of pages. */
export interface AggregateScore {
  /** Mean per-page precision over pages with TP+FP > 0 (0..1; 0 when no page qualifies). */
  precision: number;
  /** Mean per-page recall over pages with TP+FN > 0 (0..1; 0 when no page qualifies). */
  recall: number;
  /** Harmonic mean of `precision` and `recall` (0..1; 0 when both are 0). */
  f1: number;
  /** Number of pages whose prediction was empty. Unit: pages. */
  empty: number;
  /** Number of pages scored. Unit: pages. */
  pages: number;
}

/**
 * Compares a prediction with the truth on one page.
 *
 * Both texts are tokenized and shingled (n = 4); TP = Σ min(true, pred), FP = Σ max(0, pred - true),
 * FN = Σ max(0, true - pred) over all shingles; then each is divided by TP+FP+FN so every page
 * weighs the same. When both texts have no shingles, TP+FP+FN = 0 and all three stay 0.
 *
 * @param predicted - Extracted article text.
 * @param truth - Ground-truth article text.
 * @returns Normalized counts: fractions of the page's TP+FP+FN, summing to 1 (or all 0 when both
 *   texts are empty). Unit: fraction of the page's shingle matches.
 */
export function scorePage(predicted: string, truth: string): PageCounts {
  const pred = shingles(tokenize(predicted));
  const gold = shingles(tokenize(truth));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [key, p] of pred) {
    const t = gold.get(key) ?? 0;
    tp += Math.min(p, t);
    fp += Math.max(0, p - t);
  }
  for (const [key, t] of gold) {
    const p = pred.get(key) ?? 0;
    fn += Math.max(0, t - p);
  }
  const total = tp + fp + fn;
  if (total === 0) return { tp: 0, fp: 0, fn: 0 };
  return { tp: tp / total, fp: fp / total, fn: fn / total };
}

/**
 * Scores one page and records whether the prediction was empty, ready for {@link aggregate}.
 *
 * @param predicted - Extracted article text ('' when the extractor failed).
 * @param truth - Ground-truth article text.
 * @returns {@link scorePage}'s normalized counts plus `predictedEmpty` (the prediction has no
 *   tokens).
 */
export function scoreText(predicted: string, truth: string): PageScore {
  return { ...scorePage(predicted, truth), predictedEmpty: tokenize(predicted).length === 0 };
}

/**
 * One page's precision and recall under the benchmark's rules.
 *
 * A page with FP = FN = 0 (a perfect prediction, including an empty prediction of an empty truth)
 * scores 1 for both. Otherwise precision is TP/(TP+FP), undefined (null) when TP+FP = 0 (empty
 * prediction), and recall is TP/(TP+FN), null when TP+FN = 0 (empty truth).
 *
 * @param counts - One page's counts (normalized or raw; the ratios are the same).
 * @returns Precision and recall, each 0..1 or null when the page does not count toward that mean.
 */
export function pagePrecisionRecall(counts: PageCounts): { precision: number | null; recall: number | null } {
  const { tp, fp, fn } = counts;
  if (fp === 0 && fn === 0) return { precision: 1, recall: 1 };
  return {
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: tp + fn > 0 ? tp / (tp + fn) : null,
  };
}

/**
 * One page's F1 (for ranking pages only; the benchmark's F1 is {@link aggregate}'s, of the means).
 *
 * @param counts - One page's counts.
 * @returns 2TP/(2TP+FP+FN), 1 when FP = FN = 0. Unit: 0..1.
 */
export function pageF1(counts: PageCounts): number {
  const { tp, fp, fn } = counts;
  if (fp === 0 && fn === 0) return 1;
  return (2 * tp) / (2 * tp + fp + fn);
}

/** Harmonic mean of two values in 0..1 (0 when both are 0). */
function harmonic(p: number, r: number): number {
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

/**
 * Summarizes scored pages the way the benchmark does.
 *
 * Precision is the mean of TP/(TP+FP) over pages with TP+FP > 0 (an empty prediction is left out:
 * it only costs recall); recall is the mean of TP/(TP+FN) over pages with TP+FN > 0; a page with
 * FP = FN = 0 scores 1 for both and counts in both means. F1 is 2PR/(P+R) of the two means, not a
 * mean of per-page F1s. Empty predictions are counted, since abstaining inflates precision.
 *
 * @param pages - Per-page scores from {@link scoreText} (or {@link scorePage} plus `predictedEmpty`).
 * @returns Precision, recall and F1 (each 0..1; a mean over no pages is reported as 0), the number
 *   of empty predictions and the number of pages (both unit: pages).
 */
export function aggregate(pages: readonly PageScore[]): AggregateScore {
  let pSum = 0;
  let pN = 0;
  let rSum = 0;
  let rN = 0;
  let empty = 0;
  for (const page of pages) {
    const { precision, recall } = pagePrecisionRecall(page);
    if (precision !== null) {
      pSum += precision;
      pN++;
    }
    if (recall !== null) {
      rSum += recall;
      rN++;
    }
    if (page.predictedEmpty) empty++;
  }
  const precision = pN > 0 ? pSum / pN : 0;
  const recall = rN > 0 ? rSum / rN : 0;
  return { precision, recall, f1: harmonic(precision, recall), empty, pages: pages.length };
}
