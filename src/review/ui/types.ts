/**
 * The review API's JSON, as the browser sees it. The page is compiled on its own (no server
 * code in its program), so these mirror src/types.ts, src/storage/store.ts, src/review/types.ts
 * and src/classify/model.ts field for field; only what the page reads is listed.
 */

export const LABELS = ['editorial', 'promo', 'boilerplate'] as const;
export type Label = (typeof LABELS)[number];

export function isLabel(value: unknown): value is Label {
  return typeof value === 'string' && (LABELS as readonly string[]).includes(value);
}

export type SmoothingRule = 'listing' | 'context' | 'readability';

export interface ArticleSummary {
  id: string;
  pageId: string;
  url: string | null;
  title: string | null;
  siteName: string | null;
  model: string;
  blockCount: number;
  /** Words per label. */
  counts: Record<Label, number>;
  minConfidence: number;
  createdAt: string;
  reviewedBlocks: number;
}

/** The latest decision on a block. */
export interface BlockReview {
  label: Label;
  correctionId: number;
  reviewer: string;
  createdAt: string;
}

export interface ReviewBlock {
  index: number;
  path: string;
  tag: string;
  text: string;
  label: Label;
  confidence: number;
  scores: Record<Label, number>;
  rawLabel?: Label;
  smoothedBy?: SmoothingRule;
  /** Share of the block's text Readability kept, 0..1. */
  readability: number;
  listingSize: number;
  listingKey: string | null;
  topFeatures: string[];
  /** Why the model gave its label, in sentences (absent from older servers). */
  why?: string[];
  /** What the model said; `label` is the effective one (latest correction, else the model's). */
  modelLabel: Label;
  review: BlockReview | null;
  /** Why the review queue would offer the block (computed by the server from the model's verdict). */
  reasons: QueueReason[];
}

export interface ReviewArticle {
  id: string;
  pageId: string;
  url: string | null;
  title: string | null;
  siteName: string | null;
  model: string;
  createdAt: string;
  /** Editorial HTML, sanitized by the server; sanitized again here before it is shown. */
  html: string;
}

export type QueueReason =
  | 'low_confidence'
  | 'readability_disagrees'
  | 'smoothed'
  | 'fallback'
  | 'listing_disagrees'
  | 'new_site'
  | 'audit';

export interface RankedCandidate {
  articleId: string;
  pageId: string;
  url: string | null;
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
  /** Why the model gave its label, in sentences (absent from older servers). */
  why?: string[];
  priority: number;
  reasons: QueueReason[];
}

export interface ReviewStats {
  corrections: number;
  reviewedBlocks: number;
  changedBlocks: number;
  reviewedPages: number;
  byReviewer: { reviewer: string; corrections: number }[];
}

export interface Correction {
  id: number;
  pageId: string;
  articleId: string;
  blockIndex: number;
  path: string;
  previousLabel: Label;
  label: Label;
  reviewer: string;
  createdAt: string;
  model: string;
  undoes: number | null;
}

export interface CorrectionInput {
  blockIndex: number;
  label: Label;
  /** The label the page believes the block has now; the server refuses the batch (409) otherwise. */
  expected: Label;
  undoes?: number;
}

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ModelMetrics {
  perClass: Record<Label, ClassMetrics>;
  macroF1: number;
  accuracy: number;
  /** Rows: true label, columns: predicted, both in LABELS order. */
  confusion: number[][];
  method?: string;
}

/** Candidate and current model scored on the same page-level split. */
export interface ComparisonReport {
  candidate: string;
  current: string;
  createdAt?: string;
  method?: string;
  pages?: number;
  reviewedPages?: number;
  /** Both models held out on the same folds of every page. */
  all: { candidate: ModelMetrics; current: ModelMetrics };
  /** The pages exported from review only, or null when there are none. */
  reviewed: { candidate: ModelMetrics; current: ModelMetrics } | null;
  currentTrainingPages?: number;
  /** The current model as it runs (in-sample where it was trained): reference only. Absent in older reports. */
  deployed?: { all: ModelMetrics; reviewed: ModelMetrics | null };
  /** Reviewed blocks the candidate labels differently from the current model. Absent in older reports. */
  changes?: { fixed: number; broke: number; stillWrong: number; blocks: BlockChange[] };
}

export interface BlockChange {
  slug: string;
  path: string;
  text: string;
  truth: Label;
  current: Label;
  candidate: Label;
  verdict: 'fixed' | 'broke' | 'still wrong';
}

export interface TrainingJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  by: string;
  startedAt: string;
  finishedAt: string | null;
  progress: { stage: string; done: number; total: number };
  /** Version of the trained model, once done. */
  candidate: string | null;
  report: ComparisonReport | null;
  error: string | null;
}

export interface ReprocessJob {
  id: string;
  /** BullMQ job state: waiting, active, completed, failed, … (completed once every page is queued) */
  state: string;
  /** Every page the run covers is stored with its model, or the run failed. */
  finished?: boolean;
  /** `done` counts articles now stored with `model`. */
  progress: { done: number; total: number; model: string };
}

export type ModelStatus = 'current' | 'candidate' | 'previous' | 'discarded';

/** A model file the server knows about. */
export interface ModelEntry {
  version: string;
  createdAt: string;
  trainedOn?: { pages?: number; blocks?: number };
  metrics?: ModelMetrics | null;
  isCurrent: boolean;
  status: ModelStatus;
  /** A comparison report was saved with the model. */
  hasReport?: boolean;
}

/** One promotion or rollback. */
export interface PromotionRecord {
  version: string;
  previous: string | null;
  by: string;
  at: string;
  action: 'promote' | 'rollback';
}

export interface ModelsOverview {
  current: string | null;
  models: ModelEntry[];
  /** Oldest first. */
  history: PromotionRecord[];
  /** What a rollback would restore (the server's answer); absent from older servers. */
  rollbackTo?: string | null;
  /** Stored articles per model version. */
  articlesByModel?: Record<string, number>;
}

export interface ExportResult {
  written: { slug: string; pageId: string; dir: string; blocks: number; reviewed?: number; corrected: number; warnings?: string[] }[];
  skipped: { pageId: string; reason: string }[];
}
