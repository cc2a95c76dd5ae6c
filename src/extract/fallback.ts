import { containerOf } from '../classify/context.js';
import { READABILITY_KEPT } from '../features/constants.js';
import type { Block } from '../segment/block.js';
import type { Label } from '../types.js';

/** What the fallback needs of each block's verdict. */
export interface FallbackVerdict {
  label: Label;
  /** Posterior of `editorial` before smoothing. */
  editorial: number;
}

/**
 * A block counts toward a container when its editorial posterior is at least this share of the
 * page's highest; below it, its words count against the container. Half keeps a container of
 * middling prose ahead of the whole body while the nav, the footer and the filters weigh it down.
 */
const RELATIVE_FLOOR = 0.5;

/**
 * The most likely main region of a page on which no block was labeled editorial, as block
 * indexes in document order; null when the page has no text at all, or already has an
 * editorial block.
 *
 * A listing, a catalog or a product page can leave every block boilerplate while a reader still
 * sees content. Answering with nothing hides that page, so the fallback returns its best guess,
 * flagged (`Article.fallback`) and put first in the review queue:
 * 1. the blocks Readability kept, when it kept any with text (it found a main region);
 * 2. else the container whose blocks are most article-like: every block scores its words times
 *    its editorial posterior relative to the page's best, less RELATIVE_FLOOR, and the container
 *    with the highest sum over its blocks wins (the deeper one on a tie).
 * Promo blocks join the region only on a page where every block with text is promo: elsewhere a
 * paid listing stays promo on every kind of page.
 */
export function fallbackRegion(blocks: readonly Block[], verdicts: readonly FallbackVerdict[], kept: Float64Array | null): number[] | null {
  if (verdicts.some((verdict, i) => verdict.label === 'editorial' && blocks[i].wordCount > 0)) return null;
  let eligible = blocks.map((block, i) => block.wordCount > 0 && verdicts[i].label !== 'promo');
  // A page the model reads as promo from end to end (a shop's own catalog, often) still has a
  // main region to show, flagged; a reviewer decides.
  if (!eligible.includes(true)) eligible = blocks.map((block) => block.wordCount > 0);
  if (!eligible.includes(true)) return null;

  if (kept) {
    const keptRegion = indexesWhere(eligible, (i) => kept[i] >= READABILITY_KEPT);
    if (keptRegion.length > 0) return keptRegion;
  }

  const best = Math.max(...verdicts.map((verdict, i) => (eligible[i] ? verdict.editorial : 0)));
  const totals = new Map<string, { score: number; depth: number }>();
  blocks.forEach((block, i) => {
    if (!eligible[i]) return;
    const relative = best > 0 ? verdicts[i].editorial / best : 1;
    const score = block.wordCount * (relative - RELATIVE_FLOOR);
    const container = containerOf(block.path, 1);
    if (container === '') return;
    const parts = container.split(' > ');
    for (let depth = 1; depth <= parts.length; depth++) {
      const key = parts.slice(0, depth).join(' > ');
      const entry = totals.get(key);
      if (entry) entry.score += score;
      else totals.set(key, { score, depth });
    }
  });

  let region: string | null = null;
  let top = { score: -Infinity, depth: 0 };
  for (const [key, entry] of totals) {
    if (entry.score > top.score || (entry.score === top.score && entry.depth > top.depth)) {
      region = key;
      top = entry;
    }
  }
  if (region === null) return null;
  const inside = region;
  return indexesWhere(eligible, (i) => isInside(blocks[i].path, inside));
}

function indexesWhere(eligible: readonly boolean[], test: (i: number) => boolean): number[] {
  const indexes: number[] = [];
  eligible.forEach((ok, i) => {
    if (ok && test(i)) indexes.push(i);
  });
  return indexes;
}

function isInside(path: string, container: string): boolean {
  return path.startsWith(`${container} > `) || path.startsWith(`${container}::run(`);
}
