import { WinnowError } from '../errors.js';
import { READABILITY_KEPT } from '../features/constants.js';
import type { Label } from '../types.js';
import type { ReviewCandidate } from './types.js';

/** Why a block is offered for review. */
export type ReviewReason =
  | 'low_confidence'
  | 'readability_disagrees'
  | 'smoothed'
  | 'fallback'
  | 'listing_disagrees'
  | 'new_site'
  | 'audit';

/** Every reason, in the order cards show them. */
export const REVIEW_REASONS: readonly ReviewReason[] = [
  'fallback',
  'listing_disagrees',
  'low_confidence',
  'readability_disagrees',
  'smoothed',
  'new_site',
  'audit',
];

/** A review candidate with the score it was ranked by and the reasons behind it. */
export interface RankedCandidate extends ReviewCandidate {
  /** Higher means more likely wrong: uncertainty, plus Readability disagreement, plus a smoothing flip. */
  priority: number;
  reasons: ReviewReason[];
}

export interface ReviewQueueOptions {
  /** Most blocks in the queue. @defaultValue 50 */
  limit?: number;
  /**
   * Most blocks of one listing (per article). The reviewer relabels a whole listing at once, so
   * more of its items only crowd other pages out. @defaultValue 2
   */
  perListing?: number;
  /** Most blocks of one article. @defaultValue 10 */
  perArticle?: number;
  /**
   * Sites the current model saw in training (hosts of the fixture pages' URLs). Blocks of other
   * sites get `new_site` and rank higher: templates the model never met. @defaultValue unknown (no block gets it)
   */
  seenSites?: ReadonlySet<string>;
}

const DEFAULT_LIMIT = 50;
const DEFAULT_PER_LISTING = 2;
const DEFAULT_PER_ARTICLE = 10;

/** Below this confidence a block counts as uncertain (three labels: 1/3 is a coin toss). */
const LOW_CONFIDENCE = 0.7;
/**
 * Weight of Readability's disagreement next to the classifier's own uncertainty: Readability is
 * reliable on prose but keeps ads inside articles and drops one-line labels, so it is a hint.
 */
const READABILITY_WEIGHT = 0.5;
/** Bonus for a label that smoothing changed: the classifier and the page structure disagreed. */
const SMOOTHED_WEIGHT = 0.3;
/**
 * Bonus for a block whose label differs from most of its listing: on a rail of paid cards, the
 * one card called editorial is likely wrong however sure the model was.
 */
const LISTING_WEIGHT = 0.8;
/** Bonus for a block of a site the model never trained on. */
const NEW_SITE_WEIGHT = 0.3;

/**
 * Bonus for a block of a fallback article (no block was labeled editorial): above every other
 * sum (at most 1 + 0.5 + 0.3 + 0.8 + 0.3), so such pages come first; the page is likely mislabeled whole.
 */
const FALLBACK_WEIGHT = 3;

/**
 * Order review candidates by how likely their label is wrong, then keep the queue diverse:
 * sites take turns (round-robin, the site with the most doubtful block first), each article
 * gives at most `perArticle` blocks and each listing at most `perListing`, so one page or one
 * 200-card rail never fills the queue. Deterministic: ties are broken by article id, then block
 * index. A block without a known site forms a group of its own page.
 *
 * @throws WinnowError `bad_input` when an option is not a non-negative integer.
 */
export function rankReviewQueue(candidates: ReviewCandidate[], options: ReviewQueueOptions = {}): RankedCandidate[] {
  const limit = countOption('limit', options.limit, DEFAULT_LIMIT);
  const perListing = countOption('perListing', options.perListing, DEFAULT_PER_LISTING);
  const perArticle = countOption('perArticle', options.perArticle, DEFAULT_PER_ARTICLE);

  // Audit blocks are a random sample of confident ones: they keep their own slots, not a rank.
  const audits = candidates.filter((candidate) => candidate.audit).map((candidate) => rankCandidate(candidate, options.seenSites));
  const ranked = candidates
    .filter((candidate) => !candidate.audit)
    .map((candidate) => rankCandidate(candidate, options.seenSites))
    .sort(byPriority);
  const groups = new Map<string, RankedCandidate[]>();
  for (const candidate of ranked) {
    const key = candidate.site ?? `page:${candidate.pageId}`;
    const group = groups.get(key);
    if (group) group.push(candidate);
    else groups.set(key, [candidate]);
  }
  // Map order is first-seen order in the ranked list: the site with the most doubtful block leads.
  const turns = [...groups.values()].map((group) => ({ group, next: 0 }));

  const perArticleTaken = new Map<string, number>();
  const perListingTaken = new Map<string, number>();
  const queue: RankedCandidate[] = [];
  const ranks = Math.max(0, limit - Math.min(audits.length, limit));
  while (queue.length < ranks && turns.length > 0) {
    for (let t = 0; t < turns.length && queue.length < ranks; t++) {
      const turn = turns[t];
      const picked = nextAdmissible(turn, (candidate) => {
        if ((perArticleTaken.get(candidate.articleId) ?? 0) >= perArticle) return false;
        const listing = listingOf(candidate);
        return listing === null || (perListingTaken.get(listing) ?? 0) < perListing;
      });
      if (picked === null) {
        // Caps only ever tighten, so a site with nothing admissible now never has again.
        turns.splice(t--, 1);
        continue;
      }
      queue.push(picked);
      perArticleTaken.set(picked.articleId, (perArticleTaken.get(picked.articleId) ?? 0) + 1);
      const listing = listingOf(picked);
      if (listing !== null) perListingTaken.set(listing, (perListingTaken.get(listing) ?? 0) + 1);
    }
  }
  // The sample obeys the listing cap too: a random draw from a 200-card rail is still one rail.
  const sample = audits.filter((candidate) => {
    const listing = listingOf(candidate);
    if (listing === null) return true;
    const taken = perListingTaken.get(listing) ?? 0;
    if (taken >= perListing) return false;
    perListingTaken.set(listing, taken + 1);
    return true;
  });
  return interleave(queue, sample.slice(0, limit - queue.length));
}

/** Spread the audit blocks evenly through the ranked queue, so a session meets them as it goes. */
function interleave(ranked: RankedCandidate[], audits: RankedCandidate[]): RankedCandidate[] {
  if (audits.length === 0) return ranked;
  const out: RankedCandidate[] = [];
  const every = Math.max(1, Math.floor((ranked.length + audits.length) / audits.length));
  let a = 0;
  for (const candidate of ranked) {
    if (a < audits.length && (out.length + 1) % every === 0) out.push(audits[a++]);
    out.push(candidate);
  }
  while (a < audits.length) out.push(audits[a++]);
  return out;
}

/** The model's verdict on a block, as far as ranking needs it. */
export type Verdict = Pick<ReviewCandidate, 'label' | 'confidence' | 'readability' | 'smoothedBy'> & {
  fallback?: boolean;
  /** Majority label of the block's listing (ReviewCandidate.listingLabel). */
  listingLabel?: Label | null;
  listingSize?: number;
  /** The block's site was not among the model's training sites. */
  newSite?: boolean;
  audit?: boolean;
};

/** Smallest listing whose majority says something about one of its blocks (as the store's candidate list). */
const MIN_MAJORITY_LISTING = 3;

/** Why the queue would offer a block (the article view shows the same reasons). */
export function reviewReasons(verdict: Verdict): ReviewReason[] {
  const reasons: ReviewReason[] = [];
  if (verdict.fallback) reasons.push('fallback');
  if (listingDisagrees(verdict)) reasons.push('listing_disagrees');
  if (verdict.confidence < LOW_CONFIDENCE) reasons.push('low_confidence');
  if (readabilityDisagreement(verdict) >= 0.5) reasons.push('readability_disagrees');
  if (verdict.smoothedBy !== null) reasons.push('smoothed');
  if (verdict.newSite) reasons.push('new_site');
  if (verdict.audit) reasons.push('audit');
  return reasons;
}

function listingDisagrees(verdict: Verdict): boolean {
  return (verdict.listingSize ?? 0) >= MIN_MAJORITY_LISTING && verdict.listingLabel != null && verdict.listingLabel !== verdict.label;
}

/** Priority and reasons of one candidate; `seenSites` as in ReviewQueueOptions. */
export function rankCandidate(candidate: ReviewCandidate, seenSites?: ReadonlySet<string>): RankedCandidate {
  const uncertainty = clamp01(1 - candidate.confidence);
  const disagreement = readabilityDisagreement(candidate);
  const smoothed = candidate.smoothedBy !== null;
  const newSite = seenSites !== undefined && candidate.site !== null && !seenSites.has(candidate.site);
  const reasons = reviewReasons({ ...candidate, newSite });
  const priority =
    uncertainty +
    READABILITY_WEIGHT * disagreement +
    (smoothed ? SMOOTHED_WEIGHT : 0) +
    (listingDisagrees(candidate) ? LISTING_WEIGHT : 0) +
    (newSite ? NEW_SITE_WEIGHT : 0) +
    (candidate.fallback ? FALLBACK_WEIGHT : 0);
  return { ...candidate, priority: Math.round(priority * 1e4) / 1e4, reasons };
}

/**
 * How strongly Readability's verdict contradicts the label, 0..1: for an editorial block the
 * share of its text Readability dropped; for any other label the share it kept (counted only
 * past the share at which features call a block kept, so a stray link inside an article is not
 * a disagreement).
 */
function readabilityDisagreement(candidate: Verdict): number {
  const kept = clamp01(candidate.readability);
  if (candidate.label === 'editorial') return 1 - kept;
  return kept >= READABILITY_KEPT ? kept : 0;
}

function byPriority(a: RankedCandidate, b: RankedCandidate): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.articleId !== b.articleId) return a.articleId < b.articleId ? -1 : 1;
  return a.blockIndex - b.blockIndex;
}

/** Listing keys are DOM paths, shared by every page of a template: scope them to the article. */
function listingOf(candidate: ReviewCandidate): string | null {
  return candidate.listingKey === null ? null : `${candidate.articleId}\u0000${candidate.listingKey}`;
}

function nextAdmissible(
  turn: { group: RankedCandidate[]; next: number },
  admissible: (candidate: RankedCandidate) => boolean,
): RankedCandidate | null {
  while (turn.next < turn.group.length) {
    const candidate = turn.group[turn.next++];
    if (admissible(candidate)) return candidate;
  }
  return null;
}

function countOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new WinnowError('bad_input', `${name} must be a non-negative integer, got ${value}`);
  return value;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
