import type { Block } from '../segment/block.js';
import type { FeatureBag } from '../features/index.js';
import { READABILITY_KEPT } from '../features/constants.js';
import { argmax } from '../text/normalize.js';
import { LABELS, type Label, type SmoothingRule } from '../types.js';
import type { Model } from './model.js';
import { scoreNaiveBayes, softmax, topFeatures } from './naive-bayes.js';
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

/** Score every block with the model, then let page structure smooth the labels. */
export function classifyBlocks(blocks: Block[], features: FeatureBag[], model: Model, kept: Float64Array | null = null): BlockVerdict[] {
  const labels = model.nb.classes as Label[];
  const { scores, bags } = scoreBlocks(blocks, features, model);
  const explainer = model.contextNb ?? model.nb;
  const bias = model.bias ?? [];
  const posteriors = scores.map((row) => softmax(row.map((score, c) => score + (bias[c] ?? 0) * model.temperature), model.temperature));
  const keptRepeats = kept ? repeatsWithKeptBlocks(blocks, kept) : new Set<string>();
  const smoothed = smoothLabels(
    blocks.map((block, i) => ({
      posterior: posteriors[i],
      listingKey: block.listingKey,
      listingSize: block.listingSize,
      readability: kept ? kept[i] : null,
      repeatsKept: kept ? keptRepeats.has(block.repeatKey ?? '') : false,
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
      scores: Object.fromEntries(LABELS.map((name) => [name, round(posteriors[i][labels.indexOf(name)])])) as Record<Label, number>,
      rawLabel: rawIndex !== result.labelIndex ? labels[rawIndex] : undefined,
      smoothedBy: result.smoothedBy,
      topFeatures: topFeatures(explainer, bags[i], result.labelIndex),
    };
  });
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
