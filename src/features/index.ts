import type { Block } from '../segment/block.js';
import {
  LINK_DENSITY_BUCKETS,
  LISTING_BUCKETS,
  MAX_WORD_REPEAT,
  PATTERNS,
  POSITION_BUCKETS,
  READABILITY_WEIGHT,
  CUE_WEIGHT,
  CLASS_CUE_WEIGHT,
  HEADING_CUE_WEIGHT,
  READABILITY_KEPT,
  SEMANTIC_ANCESTORS,
  STRUCTURE_WEIGHT,
  TEXT_WEIGHT,
  CLASS_WEIGHT,
  HEADING_WEIGHT,
  LISTING_CUE_SHARE,
  SHORT_BLOCK_WORDS,
  WORD_BUCKETS,
} from './constants.js';
import { textCues } from './cues.js';
import { textTokens } from './text-tokens.js';
import { comparable } from '../text/normalize.js';

export { FEATURE_VERSION } from './constants.js';

/** What features need to know about the page around a block. */
export interface PageContext {
  blocks: Block[];
  /** Readability's kept share per block index. */
  kept: Float64Array;
  /** Whether Readability found an article at all. */
  readabilityFound: boolean;
  /** Article title (Readability's), for spotting the headline block. */
  title: string | null;
  /** Page language code (`en`, `de`, …). */
  language: string;
  /** Repeat groups (`Block.repeatKey`) with a block Readability kept. */
  keptRepeats: Set<string>;
  /** First and last index of blocks Readability mostly kept, or null. */
  keptSpan: [number, number] | null;
  /** Per listing key: the cue most of its items carry (see `listingCues`). */
  listingCues: Map<string, string>;
}

/**
 * What each listing's items say as a group: `promo` when at least a quarter of its blocks show
 * a price or a selling word, `boilerplate` when a quarter show chrome words. One card rarely
 * shows its price in every block; the listing does.
 */
/** First and last block Readability kept most of (`READABILITY_KEPT`), or null when none. */
export function keptSpan(kept: Float64Array): [number, number] | null {
  let first = -1;
  let last = -1;
  for (let i = 0; i < kept.length; i++) {
    if (kept[i] >= READABILITY_KEPT) {
      if (first === -1) first = i;
      last = i;
    }
  }
  return first === -1 ? null : [first, last];
}

export function listingCues(blocks: Block[]): Map<string, string> {
  const tally = new Map<string, { blocks: number; promo: number; boilerplate: number }>();
  for (const block of blocks) {
    if (!block.listingKey) continue;
    let entry = tally.get(block.listingKey);
    if (!entry) tally.set(block.listingKey, (entry = { blocks: 0, promo: 0, boilerplate: 0 }));
    entry.blocks++;
    const cues = textCues(block.text);
    if (cues.includes('promo') || PATTERNS.price.test(block.text)) entry.promo++;
    if (cues.includes('boilerplate')) entry.boilerplate++;
  }
  const result = new Map<string, string>();
  for (const [key, entry] of tally) {
    if (entry.promo >= entry.blocks * LISTING_CUE_SHARE) result.set(key, 'promo');
    else if (entry.boilerplate >= entry.blocks * LISTING_CUE_SHARE) result.set(key, 'boilerplate');
  }
  return result;
}

/** Feature token to weighted count. */
export type FeatureBag = Map<string, number>;

/**
 * A block's feature tokens: its words plus structure (tag, regions, class words, size, link
 * density, listing size, position, Readability's verdict on it and its neighbours, selling
 * patterns). Structural tokens are prefixed so they never collide with words.
 */
export function blockFeatures(block: Block, page: PageContext): FeatureBag {
  const bag: FeatureBag = new Map();
  const add = (token: string, weight = STRUCTURE_WEIGHT) => bag.set(token, (bag.get(token) ?? 0) + weight);

  add(`tag=${block.tag}`);
  if (block.headingLevel) add('heading');
  for (const tag of new Set(block.ancestorTags)) if (SEMANTIC_ANCESTORS.has(tag)) add(`in=${tag}`);
  for (const token of block.classTokens) add(`cls=${token}`, CLASS_WEIGHT);
  for (const cue of block.classCues) add(`ccue=${cue}`, CLASS_CUE_WEIGHT);
  const size = block.wordCount <= SHORT_BLOCK_WORDS ? 'short' : 'long';
  for (const cue of textCues(block.text)) add(`tcue=${cue}.${size}`, CUE_WEIGHT);
  if (block.wordCount <= SHORT_BLOCK_WORDS) add(`line=${comparable(block.text)}`, 1);
  if (block.sectionHeading) for (const cue of textCues(block.sectionHeading)) add(`hcue=${cue}`, HEADING_CUE_WEIGHT);
  const listingCue = page.listingCues.get(block.listingKey ?? '');
  if (listingCue) add(`lcue=${listingCue}`);

  add(`words=${bucket(block.wordCount, WORD_BUCKETS)}`);
  const density = block.wordCount > 0 ? block.linkWordCount / block.wordCount : 0;
  add(`linkd=${bucket(density, LINK_DENSITY_BUCKETS)}`);
  add(`links=${bucket(block.linkCount, [0, 1, 3])}`);
  if (block.imageCount > 0) add('img');

  add(`listing=${bucket(block.listingSize, LISTING_BUCKETS)}`);
  if (block.listingUnit) add(`unit=${block.listingUnit}`);

  const position = Math.min(POSITION_BUCKETS - 1, Math.floor((block.index / Math.max(1, page.blocks.length)) * POSITION_BUCKETS));
  add(`pos=${position}`);

  // Readability's verdict means more on prose than on a one-line label or an ad slot.
  const length = block.wordCount <= 8 ? 'short' : block.wordCount <= 30 ? 'mid' : 'long';
  add(`rd=${readabilityToken(block.index, page)}.${length}`, READABILITY_WEIGHT);
  add(`span=${spanPosition(block.index, page)}`);
  if (block.repeatKey) add(`repeat=${page.keptRepeats.has(block.repeatKey) ? 'kept' : 'dropped'}`);
  add(`rd_prev=${readabilityToken(block.index - 1, page)}`, 1);
  add(`rd_next=${readabilityToken(block.index + 1, page)}`, 1);

  if (page.title && sameText(block.text, page.title)) add('is_title', STRUCTURE_WEIGHT * 2);
  if (PATTERNS.price.test(block.text)) add('price');
  if (PATTERNS.discount.test(block.text)) add('discount');
  if (PATTERNS.code.test(block.text)) add('code');
  if (PATTERNS.sentenceEnd.test(block.text)) add('sentence_end');

  if (block.sectionHeading && block.sectionHeading !== block.text) {
    for (const token of new Set(textTokens(block.sectionHeading, page.language))) add(`hd=${token}`, HEADING_WEIGHT);
  } else if (!block.sectionHeading) {
    add('hd=none', 1);
  }

  const counts = new Map<string, number>();
  for (const token of textTokens(block.text, page.language)) {
    const seen = (counts.get(token) ?? 0) + 1;
    counts.set(token, seen);
    if (seen <= MAX_WORD_REPEAT) add(`w=${token}`, TEXT_WEIGHT);
  }
  return bag;
}

/**
 * Where the block sits relative to the run of blocks Readability kept: `before` (header, nav),
 * `inside`, `after` (comments, related stories, footer) or `none` when Readability kept nothing.
 */
function spanPosition(index: number, page: PageContext): string {
  if (!page.readabilityFound || page.keptSpan === null) return 'none';
  if (index < page.keptSpan[0]) return 'before';
  return index > page.keptSpan[1] ? 'after' : 'inside';
}

function readabilityToken(index: number, page: PageContext): string {
  if (index < 0 || index >= page.blocks.length) return 'edge';
  if (!page.readabilityFound) return 'none';
  const kept = page.kept[index];
  return kept >= READABILITY_KEPT ? 'kept' : kept > 0 ? 'partial' : 'dropped';
}

/** Index of the first bucket whose upper bound holds the value; past the last: the count. */
function bucket(value: number, upperBounds: number[]): number {
  for (let i = 0; i < upperBounds.length; i++) if (value <= upperBounds[i]) return i;
  return upperBounds.length;
}

function sameText(a: string, b: string): boolean {
  const x = comparable(a);
  const y = comparable(b);
  return x.length > 0 && (x === y || (x.length > 20 && (y.startsWith(x) || x.startsWith(y))));
}
