import type { Block } from '../segment/block.js';
import type { FeatureBag } from '../features/index.js';
import { READABILITY_KEPT } from '../features/constants.js';
import { argmax } from '../text/normalize.js';
import { LABELS, type Label, type SmoothingRule } from '../types.js';
import type { Model } from './model.js';
import { likelihoodRows, scoreNaiveBayes, softmax, TopContributions, type NaiveBayesParameters } from './naive-bayes.js';
import { smoothLabels } from './smooth.js';
import { contextFeatures, mergeBags } from './context.js';

/** A block's label with everything a reviewer needs to see why. */
export interface BlockVerdict {
  label: Label;
  confidence: number;
  /** Posterior per label before smoothing. */
  scores: Record<Label, number>;
  rawLabel?: Label;
  smoothedBy?: SmoothingRule;
  topFeatures: string[];
}

/**
 * Joint log scores per block from the two passes: the first pass scores each block alone; the
 * second scores its features plus what the first pass said of its neighbours and container.
 * Also returns the second-pass feature bags (for explanations).
 */
export function scoreBlocks(blocks: Block[], features: FeatureBag[], model: Model): { scores: number[][]; bags: FeatureBag[] } {
  const first = features.map((bag) => scoreNaiveBayes(model.nb, bag));
  if (!model.contextNb) return { scores: first, bags: features };
  const firstPosteriors = first.map((scores) => softmax(scores));
  const context = contextFeatures(blocks, firstPosteriors, model.nb.classes);
  const bags = features.map((bag, i) => mergeBags(bag, context[i]));
  return { scores: bags.map((bag) => scoreNaiveBayes(model.contextNb!, bag)), bags };
}

/** Log-likelihood rows a block's tokens found, in the order they were summed. */
type Rows = (number[] | undefined)[];

/** One pass of Naive Bayes over a page's bags, keeping the rows each token found for explanations. */
interface PassResult {
  scores: number[][];
  rows: Rows[];
}

/**
 * Score each bag, then (when given) its extra bag, in one sum per block: the same sum, in the
 * same order, as scoring the merged bag. Rows are looked up once and kept.
 */
function scorePass(model: NaiveBayesParameters, bags: FeatureBag[], extra: FeatureBag[] | null): PassResult {
  const index = likelihoodRows(model);
  const classes = model.logPriors.length;
  const scores: number[][] = [];
  const rows: Rows[] = [];
  for (let i = 0; i < bags.length; i++) {
    const sums = [...model.logPriors];
    const found: Rows = [];
    // Map#forEach walks entries in insertion order without allocating an entry per token.
    const add = (weight: number, token: string) => {
      const row = index.get(token);
      found.push(row);
      if (!row) return;
      for (let c = 0; c < classes; c++) sums[c] += weight * row[c];
    };
    bags[i].forEach(add);
    if (extra) extra[i].forEach(add);
    scores.push(sums);
    rows.push(found);
  }
  return { scores, rows };
}

/** Rows of one token in the first-pass and the second-pass model. */
type RowPair = [number[] | undefined, number[] | undefined];

const jointIndexes = new WeakMap<NaiveBayesParameters, { second: NaiveBayesParameters; rows: Map<string, RowPair> }>();

/** Both models' rows under one key, so a block's tokens are looked up once for both passes. */
function jointRows(first: NaiveBayesParameters, second: NaiveBayesParameters): Map<string, RowPair> {
  const cached = jointIndexes.get(first);
  if (cached && cached.second === second) return cached.rows;
  const rows = new Map<string, RowPair>();
  for (const [token, row] of likelihoodRows(first)) rows.set(token, [row, undefined]);
  for (const [token, row] of likelihoodRows(second)) {
    const pair = rows.get(token);
    if (pair) pair[1] = row;
    else rows.set(token, [undefined, row]);
  }
  jointIndexes.set(first, { second, rows });
  return rows;
}

/**
 * Both passes over bags that do not share tokens with their context bags: each block token is
 * looked up once, for both models. Sums run in the same order as `scorePass` on the merged bags.
 */
function scoreDisjointPasses(
  blocks: Block[],
  features: FeatureBag[],
  first: NaiveBayesParameters,
  second: NaiveBayesParameters,
): { scores: number[][]; rows: Rows[]; context: FeatureBag[] } | null {
  const joint = jointRows(first, second);
  const classes = first.logPriors.length;
  const firstScores: number[][] = [];
  const pairs: (RowPair | undefined)[][] = [];
  for (const bag of features) {
    const sums = [...first.logPriors];
    const found: (RowPair | undefined)[] = [];
    bag.forEach((weight, token) => {
      const pair = joint.get(token);
      found.push(pair);
      const row = pair?.[0];
      if (!row) return;
      for (let c = 0; c < classes; c++) sums[c] += weight * row[c];
    });
    firstScores.push(sums);
    pairs.push(found);
  }
  const context = contextFeatures(blocks, firstScores.map((scores) => softmax(scores)), first.classes);
  if (!features.every((bag, i) => disjoint(bag, context[i]))) return null;
  const secondIndex = likelihoodRows(second);
  const secondClasses = second.logPriors.length;
  const scores: number[][] = [];
  const rows: Rows[] = [];
  features.forEach((bag, i) => {
    const sums = [...second.logPriors];
    const found: Rows = [];
    const add = (weight: number, row: number[] | undefined) => {
      found.push(row);
      if (!row) return;
      for (let c = 0; c < secondClasses; c++) sums[c] += weight * row[c];
    };
    let k = 0;
    bag.forEach((weight) => add(weight, pairs[i][k++]?.[1]));
    context[i].forEach((weight, token) => add(weight, secondIndex.get(token)));
    scores.push(sums);
    rows.push(found);
  });
  return { scores, rows, context };
}

/** True when no token of `b` is in `a`: then merging is appending, and `scorePass` sums the merged bag. */
function disjoint(a: FeatureBag, b: FeatureBag): boolean {
  for (const token of b.keys()) if (a.has(token)) return false;
  return true;
}

/**
 * Both passes, as `scoreBlocks` computes them, plus the explainer's rows per block. The
 * context tokens never share a name with block features, so the merged bag is the block's bag
 * followed by its context bag and need not be built.
 */
function scoreWithRows(blocks: Block[], features: FeatureBag[], model: Model): { scores: number[][]; rows: Rows[]; bags: FeatureBag[][] } {
  if (!model.contextNb) {
    const only = scorePass(model.nb, features, null);
    return { scores: only.scores, rows: only.rows, bags: features.map((bag) => [bag]) };
  }
  const both = scoreDisjointPasses(blocks, features, model.nb, model.contextNb);
  if (both) return { scores: both.scores, rows: both.rows, bags: features.map((bag, i) => [bag, both.context[i]]) };
  // A context token also among a block's features: score the merged bags as `scoreBlocks` does.
  const { scores, bags } = scoreBlocks(blocks, features, model);
  const second = scorePass(model.contextNb, bags, null);
  return { scores, rows: second.rows, bags: bags.map((bag) => [bag]) };
}

/** Tokens that pushed hardest toward the label, from the rows scoring found (see `topFeatures`). */
function explain(bags: FeatureBag[], rows: Rows, classIndex: number): string[] {
  const top = new TopContributions(classIndex, 5);
  let k = 0;
  for (const bag of bags) {
    bag.forEach((weight, token) => {
      const row = rows[k++];
      if (row) top.add(token, weight, row);
    });
  }
  return top.format();
}

/** Score every block with the model, then let page structure smooth the labels. */
/** Indexes of the first and the last block Readability kept anything of; [-1, -1] when none. */
function keptRun(kept: Float64Array | null): [number, number] {
  let first = -1;
  let last = -1;
  if (kept) {
    for (let i = 0; i < kept.length; i++) {
      if (kept[i] <= 0) continue;
      if (first < 0) first = i;
      last = i;
    }
  }
  return [first, last];
}

export function classifyBlocks(blocks: Block[], features: FeatureBag[], model: Model, kept: Float64Array | null = null): BlockVerdict[] {
  const labels = model.nb.classes as Label[];
  const { scores, rows, bags } = scoreWithRows(blocks, features, model);
  const bias = model.bias ?? [];
  const posteriors = scores.map((row) => softmax(row.map((score, c) => score + (bias[c] ?? 0) * model.temperature), model.temperature));
  const keptRepeats = kept ? repeatsWithKeptBlocks(blocks, kept) : new Set<string>();
  const captions = listingCaptions(blocks, model.smoothing.minListingSize);
  const [firstKept, lastKept] = keptRun(kept);
  const smoothed = smoothLabels(
    blocks.map((block, i) => ({
      posterior: posteriors[i],
      listingKey: block.listingKey,
      listingSize: block.listingSize,
      readability: kept ? kept[i] : null,
      repeatsKept: kept ? keptRepeats.has(block.repeatKey ?? '') : false,
      captionOf: captions.get(i) ?? null,
      insideKept: i > firstKept && i < lastKept,
      chromeLead: features[i].has('lead=boilerplate') || features[i].has('lead=promo'),
      standfirst: features[i].has('standfirst'),
    })),
    labels,
    model.smoothing,
  );
  return smoothed.map((result, i) => {
    const rawIndex = argmax(posteriors[i]);
    const label = labels[result.labelIndex];
    return {
      label,
      confidence: round(result.confidence),
      scores: labelScores(posteriors[i], labels),
      rawLabel: rawIndex !== result.labelIndex ? labels[rawIndex] : undefined,
      smoothedBy: result.smoothedBy,
      topFeatures: explain(bags[i], rows[i], result.labelIndex),
    };
  });
}

/** A posterior (in `labels` order) by label name, in LABELS order, rounded. */
function labelScores(posterior: number[], labels: Label[]): Record<Label, number> {
  const scores = {} as Record<Label, number>;
  for (const name of LABELS) scores[name] = round(posterior[labels.indexOf(name)]);
  return scores;
}

/** Repeat groups (posts, answers) with at least one block Readability kept. */
export function repeatsWithKeptBlocks(blocks: Block[], kept: Float64Array): Set<string> {
  const keys = new Set<string>();
  blocks.forEach((block, i) => {
    if (block.repeatKey && kept[i] >= READABILITY_KEPT) keys.add(block.repeatKey);
  });
  return keys;
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

/** Most words a listing caption has ("Around the web", "Harbour Board", "Deals of the day"). */
const CAPTION_MAX_WORDS = 6;

/**
 * Blocks that caption a listing: short, not in a listing themselves, and followed at once by a
 * listing member whose container is the block's own container or the container's parent.
 */
function listingCaptions(blocks: Block[], minListingSize: number): Map<number, string> {
  const captions = new Map<number, string>();
  for (let i = 0; i + 1 < blocks.length; i++) {
    const block = blocks[i];
    const next = blocks[i + 1];
    if (block.listingKey || block.wordCount === 0 || block.wordCount > CAPTION_MAX_WORDS) continue;
    if (!next.listingKey || next.listingSize < minListingSize) continue;
    const listingParent = next.listingKey.slice(0, next.listingKey.indexOf('|'));
    const own = containerOf(block.path);
    if (own === listingParent || own === containerOf(listingParent)) captions.set(i, next.listingKey);
  }
  return captions;
}

/** Path of the element containing a block's element (a loose-text run's container is its own element). */
function containerOf(path: string): string {
  const run = path.indexOf('::run(');
  if (run >= 0) return path.slice(0, run);
  const cut = path.lastIndexOf(' > ');
  return cut >= 0 ? path.slice(0, cut) : '';
}
