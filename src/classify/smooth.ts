import type { SmoothingRule } from '../types.js';
import { argmax } from '../text/normalize.js';
import { softmax } from './naive-bayes.js';

/** How structure adjusts the classifier's per-block posteriors. */
export interface SmoothingOptions {
  /**
   * Weight of a listing's mean log-posterior added to each member's own: items of one listing
   * share a label unless their own evidence is strong. 0 turns listing smoothing off.
   * @defaultValue 1
   */
  listingWeight: number;
  /** Smallest listing (identical siblings) that votes. @defaultValue 3 */
  minListingSize: number;
  /**
   * A lone block between two editorial neighbours becomes editorial when its own confidence is
   * below this. 0 turns context smoothing off.
   * @defaultValue 0.7
   */
  contextMaxConfidence: number;
  /** Neighbours must be editorial with at least this confidence. @defaultValue 0.7 */
  contextNeighbourConfidence: number;
  /**
   * Labels the context rule may turn into editorial. Ads sit between paragraphs by design, so
   * only chrome-looking blocks (a one-line paragraph read as boilerplate) are given back.
   * @defaultValue ['boilerplate']
   */
  contextFrom: string[];
  /**
   * A block Readability dropped (while keeping an article elsewhere) is editorial only with at
   * least this confidence, unless it repeats the shape of a block Readability kept: bringing
   * text back is where a classifier trained on few templates errs most (long comments read like
   * prose). 0 turns the rule off.
   * @defaultValue 0.9
   */
  restoreMinConfidence: number;
  /**
   * The same bar for a block between the first and the last block Readability kept: text in
   * the middle of the article that Readability dropped (a quoted post, an embed's text) is far
   * less often a reader's comment than text after it. A model saved before this option existed
   * gets the default when loaded.
   * @defaultValue 0.7
   */
  restoreInsideMinConfidence: number;
  /**
   * A listing's caption (a short block just before it, in the same container: "Harbour Board",
   * "Around the web") takes the listing's label when its own confidence is below this: it says
   * what the listing is and goes wherever the listing goes. 0 turns the rule off.
   * @defaultValue 0.7
   */
  captionMaxConfidence: number;
}

export const DEFAULT_SMOOTHING: SmoothingOptions = {
  listingWeight: 1,
  minListingSize: 3,
  contextMaxConfidence: 0.7,
  contextNeighbourConfidence: 0.7,
  contextFrom: ['boilerplate'],
  restoreMinConfidence: 0.9,
  restoreInsideMinConfidence: 0.7,
  captionMaxConfidence: 0.7,
};

/** One block's classifier output and the structure smoothing looks at. */
export interface SmoothingInput {
  /** Posterior per label, in `labels` order. */
  posterior: number[];
  listingKey: string | null;
  listingSize: number;
  /** Share of the block's text Readability kept; null when Readability found no article. */
  readability: number | null;
  /**
   * The block repeats the shape of a block Readability kept (the replies of a thread whose first
   * post Readability chose): the restore guard leaves it to the classifier.
   */
  repeatsKept?: boolean;
  /** The listing (key) this block captions, if it is a short block just before one in the same container. */
  captionOf?: string | null;
  /** Between the first and the last block Readability kept: in the article's own run. */
  insideKept?: boolean;
  /** The block opens with a chrome or selling phrase ("Read more:", "Advertisement"): no context rule gives it back. */
  chromeLead?: boolean;
  /**
   * The first prose under the headline (features' `standfirst`): Readability often drops a
   * standfirst with the header around it, so the restore guard leaves it to the classifier.
   */
  standfirst?: boolean;
}

export interface SmoothedLabel {
  labelIndex: number;
  confidence: number;
  /** Posterior after smoothing, in `labels` order. */
  posterior: number[];
  smoothedBy?: SmoothingRule;
}

const FLOOR = 1e-9;

/**
 * Structural smoothing after classification, in steps:
 * 1. listings: each member's log-posterior plus `listingWeight` × the listing's mean
 *    log-posterior, renormalised — sixty cards of one rail end up with one label, while a card
 *    with strong evidence of its own ("Sponsored" among related stories) keeps it;
 * 2. captions: a listing's short caption follows the listing's majority label when unsure;
 * 3. context: a block outside any listing, read as chrome without confidence, between two
 *    confident editorial neighbours, is editorial (a one-line paragraph between two long ones),
 *    unless it opens with a chrome phrase ("Read more: …" between two paragraphs is chrome).
 */
export function smoothLabels(inputs: SmoothingInput[], labels: readonly string[], options: SmoothingOptions): SmoothedLabel[] {
  const out: SmoothedLabel[] = inputs.map((input) => fromPosterior(input.posterior));
  if (options.listingWeight > 0) smoothListings(inputs, out, options);
  if (options.captionMaxConfidence > 0) smoothCaptions(inputs, out, options);
  if (options.contextMaxConfidence > 0) smoothContext(inputs, out, labels, options);
  if (options.restoreMinConfidence > 0) guardRestores(inputs, out, labels, options);
  return out;
}

function smoothListings(inputs: SmoothingInput[], out: SmoothedLabel[], options: SmoothingOptions): void {
  const groups = new Map<string, number[]>();
  inputs.forEach((input, i) => {
    if (input.listingKey && input.listingSize >= options.minListingSize) {
      const members = groups.get(input.listingKey);
      if (members) members.push(i);
      else groups.set(input.listingKey, [i]);
    }
  });
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const classes = inputs[members[0]].posterior.length;
    const mean = new Array<number>(classes).fill(0);
    for (const i of members) inputs[i].posterior.forEach((p, c) => (mean[c] += Math.log(Math.max(p, FLOOR)) / members.length));
    for (const i of members) {
      const logs = inputs[i].posterior.map((p, c) => Math.log(Math.max(p, FLOOR)) + options.listingWeight * mean[c]);
      const smoothed = fromPosterior(softmax(logs));
      if (smoothed.labelIndex !== out[i].labelIndex) smoothed.smoothedBy = 'listing';
      out[i] = smoothed;
    }
  }
}

function smoothCaptions(inputs: SmoothingInput[], out: SmoothedLabel[], options: SmoothingOptions): void {
  const members = new Map<string, number[]>();
  inputs.forEach((input, i) => {
    if (!input.listingKey || input.listingSize < options.minListingSize) return;
    const listing = members.get(input.listingKey);
    if (listing) listing.push(i);
    else members.set(input.listingKey, [i]);
  });
  inputs.forEach((input, i) => {
    const listing = input.captionOf ? members.get(input.captionOf) : undefined;
    if (!listing || out[i].confidence >= options.captionMaxConfidence) return;
    const votes = new Map<number, number>();
    for (const m of listing) votes.set(out[m].labelIndex, (votes.get(out[m].labelIndex) ?? 0) + 1);
    const [majority, count] = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
    if (majority === out[i].labelIndex || count * 2 <= listing.length) return;
    out[i] = { labelIndex: majority, confidence: out[i].posterior[majority], posterior: out[i].posterior, smoothedBy: 'listing' };
  });
}

function smoothContext(inputs: SmoothingInput[], out: SmoothedLabel[], labels: readonly string[], options: SmoothingOptions): void {
  const editorial = labels.indexOf('editorial');
  const flippable = new Set(options.contextFrom.map((label) => labels.indexOf(label)));
  const isConfidentEditorial = (i: number) =>
    i >= 0 && i < out.length && out[i].labelIndex === editorial && out[i].confidence >= options.contextNeighbourConfidence;
  const flips: number[] = [];
  for (let i = 1; i < out.length - 1; i++) {
    if (!flippable.has(out[i].labelIndex) || out[i].confidence >= options.contextMaxConfidence) continue;
    if (inputs[i].listingKey && inputs[i].listingSize >= options.minListingSize) continue;
    if (inputs[i].chromeLead) continue;
    if (isConfidentEditorial(i - 1) && isConfidentEditorial(i + 1)) flips.push(i);
  }
  for (const i of flips) {
    out[i] = { labelIndex: editorial, confidence: out[i].posterior[editorial], posterior: out[i].posterior, smoothedBy: 'context' };
  }
}

function guardRestores(inputs: SmoothingInput[], out: SmoothedLabel[], labels: readonly string[], options: SmoothingOptions): void {
  const editorial = labels.indexOf('editorial');
  out.forEach((result, i) => {
    if (result.labelIndex !== editorial || inputs[i].readability !== 0 || inputs[i].repeatsKept || inputs[i].standfirst) return;
    const bar = inputs[i].insideKept ? options.restoreInsideMinConfidence : options.restoreMinConfidence;
    if (result.confidence >= bar) return;
    const others = result.posterior.map((p, c) => (c === editorial ? -1 : p));
    const best = others.indexOf(Math.max(...others));
    out[i] = { labelIndex: best, confidence: result.posterior[best], posterior: result.posterior, smoothedBy: 'readability' };
  });
}

function fromPosterior(posterior: number[]): SmoothedLabel {
  const best = argmax(posterior);
  return { labelIndex: best, confidence: posterior[best], posterior };
}
