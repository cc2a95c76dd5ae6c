import type { Label, SmoothingRule } from '../types.js';

/**
 * One reviewer decision on one block, as stored: append-only. A relabel, a confirmation (label
 * equal to the one shown) and an undo (restoring `previousLabel` of an earlier correction) are
 * all new rows; nothing is updated or deleted, so the table is the audit log.
 *
 * Corrections are keyed on the page and the block's DOM path, not on the article id: a page
 * reprocessed with a newer model gets a new article (and article id) but keeps its blocks'
 * paths, so its corrections still apply.
 */
export interface Correction {
  /** Increasing per store (insertion order). */
  id: number;
  pageId: string;
  /** Article the reviewer was looking at (it may since have been replaced by reprocessing). */
  articleId: string;
  blockIndex: number;
  /** DOM path of the block (LabeledBlock.path), the stable key. */
  path: string;
  /** sha256 (hex, first 16) of the block's text when corrected: detects a block that changed since. */
  textHash: string;
  /** Label the reviewer saw before this decision. */
  previousLabel: Label;
  label: Label;
  /** Who (free-form name, 1–64 characters). */
  reviewer: string;
  /** ISO timestamp. */
  createdAt: string;
  /** Model version that labeled the block the reviewer saw. */
  model: string;
  /** Id of the correction this one undoes, or null. */
  undoes: number | null;
}

/** A relabel request for one block of a stored article. */
export interface CorrectionInput {
  blockIndex: number;
  label: Label;
  /**
   * The label the client believes the block has now (the model's, or the latest correction's).
   * If the stored effective label differs, someone else changed it: the whole batch is refused
   * with a ConflictError and nothing is written.
   */
  expected: Label;
  /** When this correction undoes an earlier one. */
  undoes?: number | null;
}

/** The latest decision on a block (what the block's label now is). */
export interface BlockReview {
  label: Label;
  correctionId: number;
  reviewer: string;
  createdAt: string;
}

/** A block offered for review, with what the review queue ranks it by. */
export interface ReviewCandidate {
  articleId: string;
  pageId: string;
  url: string | null;
  /** Host of the article URL, or null. */
  site: string | null;
  title: string | null;
  model: string;
  blockIndex: number;
  path: string;
  tag: string;
  text: string;
  label: Label;
  confidence: number;
  rawLabel: Label | null;
  smoothedBy: SmoothingRule | null;
  readability: number;
  listingSize: number;
  listingKey: string | null;
  topFeatures: string[];
  /** The block's article is a fallback region (Article.fallback). */
  fallback: boolean;
  /** Label most blocks of its listing carry in the article, or null outside a listing. */
  listingLabel: Label | null;
  /** Drawn at random among blocks the model was sure of (ReviewCandidateFilter.audit). */
  audit: boolean;
}

export interface ReviewCandidateFilter {
  site?: string;
  /** Only blocks currently carrying this label. */
  label?: Label;
  /**
   * Only blocks that look doubtful: confidence below this, or smoothed, or where Readability
   * and the label disagree. @defaultValue 0.9
   */
  maxConfidence?: number;
  /** At most this many rows (ranking and diversity happen after). @defaultValue 2000, capped at 10000 */
  limit?: number;
  /**
   * Also draw this many blocks at random among those the model was sure of (no decision yet,
   * same filters), marked `audit`: the only way to find errors the model is confident in.
   * @defaultValue 0, capped at 500
   */
  audit?: number;
}

export interface ReviewStats {
  corrections: number;
  /** Distinct blocks (page + path) with at least one decision. */
  reviewedBlocks: number;
  /** Blocks whose latest decision differs from the label the model gave. */
  changedBlocks: number;
  reviewedPages: number;
  byReviewer: { reviewer: string; corrections: number }[];
}
