import type { BlockReview, Correction, CorrectionInput, ReviewCandidate, ReviewCandidateFilter, ReviewStats } from '../review/types.js';
import type { Article, Label } from '../types.js';

/** Where a page came from. */
export type PageSource = 'file' | 'url' | 'api' | 'warc';

/** Lifecycle of a page: pending until fetched, then done (article stored) or failed (reason kept). */
export type PageStatus = 'pending' | 'fetched' | 'done' | 'failed';

/** A stage a page waits in for a queue job: `pending` (a fetch job), `fetched` (a moderate job). */
export type WaitingStatus = Extract<PageStatus, 'pending' | 'fetched'>;

/** A page that has waited in one stage since before a cutoff: what the stage reconciler looks at. */
export interface WaitingPage {
  id: string;
  /** The submitted URL (null for a page read from a file). */
  url: string | null;
  status: WaitingStatus;
  /** Times the reconciler has queued the page's job again (see `markRequeued`). */
  requeues: number;
  /** When the page last changed status or was re-queued (ISO 8601). */
  updatedAt: string;
}

/** A page to keep: its raw bytes are stored compressed so it can be reprocessed later. */
export interface NewPage {
  /** Absolute URL, or null for a local file with no known URL. */
  url: string | null;
  /** File name or other human label (e.g. the path a file was read from). */
  name?: string | null;
  source: PageSource;
  /** The page as fetched or read, undecoded. */
  raw: Uint8Array;
  /** Content-Type header when fetched over HTTP. */
  contentType?: string | null;
}

export interface PageRecord {
  id: string;
  url: string | null;
  name: string | null;
  source: PageSource;
  status: PageStatus;
  /** Machine-readable failure reason (an ErrorCode such as `too_large`), null unless failed. */
  errorCode: string | null;
  errorMessage: string | null;
  /** Hex sha256 of the raw bytes. */
  contentSha256: string;
  contentType: string | null;
  /** Id of the stored article, null until done. */
  articleId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An article as stored, with the page it came from. */
export interface StoredArticle extends Article {
  id: string;
  pageId: string;
  createdAt: string;
}

export interface ArticleSummary {
  id: string;
  pageId: string;
  url: string | null;
  title: string | null;
  siteName: string | null;
  model: string;
  blockCount: number;
  counts: Record<Label, number>;
  /** Lowest block confidence on the page (where review should look first). */
  minConfidence: number;
  createdAt: string;
}

/** A summary with how many of the article's blocks carry a review decision (`listArticles` with `reviewedBlocks`). */
export interface ReviewedArticleSummary extends ArticleSummary {
  /**
   * Distinct block paths of the page with at least one correction: the size of
   * `blockReviews(pageId)`, paths no longer in the current article included.
   */
  reviewedBlocks: number;
}

/** What `listArticles` returns besides the summary. */
export interface ArticleListOptions {
  /** Count each article's reviewed blocks in the list query itself (see {@link ReviewedArticleSummary}). */
  reviewedBlocks?: boolean;
}

export interface ArticleFilter {
  /** Host name of the article's URL (exact). */
  site?: string;
  /** Only articles with at least one block of this label. */
  label?: Label;
  model?: string;
  limit?: number;
  offset?: number;
}

/**
 * The storage interface every door uses. Two backends implement it: SQLite (embedded default)
 * and PostgreSQL (scale-out). Writes are idempotent: the same raw bytes for the same URL are one
 * page, and saving an article for a page replaces its previous article and blocks in one
 * transaction.
 */
export interface Store {
  /** Keep a page's raw bytes; returns the existing page when the same URL/name and bytes are already stored. */
  putPage(page: NewPage): Promise<{ page: PageRecord; created: boolean }>;
  getPage(id: string): Promise<PageRecord | null>;
  /** Raw bytes of a stored page (decompressed), or null if unknown. */
  getRawPage(id: string): Promise<Uint8Array | null>;
  /** Store the article and its blocks and mark the page done, in one transaction. */
  saveArticle(pageId: string, article: Article): Promise<StoredArticle>;
  /** Mark the page failed with a reason; the raw page stays for a later retry. */
  saveFailure(pageId: string, failure: { code: string; message: string }): Promise<PageRecord>;
  /** By article id, page id, or URL (latest article for that URL). */
  getArticle(idOrUrl: string): Promise<StoredArticle | null>;
  /** Summaries newest first; with `{ reviewedBlocks: true }` each also counts its reviewed blocks, in the same query. */
  listArticles(filter?: ArticleFilter): Promise<ArticleSummary[]>;
  listArticles(filter: ArticleFilter | undefined, options: ArticleListOptions & { reviewedBlocks: true }): Promise<ReviewedArticleSummary[]>;
  listArticles(filter?: ArticleFilter, options?: ArticleListOptions): Promise<ArticleSummary[]>;
  listFailures(limit?: number): Promise<PageRecord[]>;

  // --- Review (corrections are append-only; see review/types.ts) ---

  /**
   * Record reviewer decisions on blocks of a stored article, in one transaction. Each input's
   * `expected` must equal the block's current effective label (latest correction, else the
   * model's label): otherwise ConflictError (code `conflict`) and nothing is written.
   *
   * @throws WinnowError `not_found` when the article is unknown (or was replaced by reprocessing),
   *   `bad_input` when a block index is out of range.
   */
  addCorrections(articleId: string, inputs: CorrectionInput[], reviewer: string): Promise<Correction[]>;
  /** Corrections oldest first: all, those of one page, or those after an id (for incremental export). */
  listCorrections(filter?: { pageId?: string; afterId?: number; limit?: number }): Promise<Correction[]>;
  /** Latest decision per block path of a page (blocks without a decision are absent). */
  blockReviews(pageId: string): Promise<Map<string, BlockReview>>;
  /** Blocks of current articles without any decision yet that look doubtful (see ReviewCandidateFilter). */
  listReviewCandidates(filter?: ReviewCandidateFilter): Promise<ReviewCandidate[]>;
  /** Ids of pages with at least one correction, with their latest correction time, newest first. */
  listReviewedPages(): Promise<{ pageId: string; lastCorrectedAt: string; corrections: number }[]>;
  reviewStats(): Promise<ReviewStats>;
  /** Ids of pages with a stored article (status done), in id order, paginated: for reprocessing. */
  listDonePageIds(options?: { afterId?: string; limit?: number }): Promise<string[]>;
  /** Number of stored articles per model version. */
  countArticlesByModel(): Promise<Record<string, number>>;

  // --- Submission ledger (see workers/submissions.ts) ---
  //
  // A URL submission is a page with status `pending` and no bytes, keyed like every page on the
  // normalised URL and the sha256 of its (empty) bytes: the very row the fetch stage records a
  // failure on (putPage with empty bytes, then saveFailure), so a failed fetch settles its own
  // submission. No article, review or done-page query ever sees a pending row.

  /**
   * Record an accepted URL submission: insert the pending row of `url`, or set the existing row
   * of that normalised URL with empty bytes back to `pending` (error cleared, fresh `updated_at`)
   * when it is pending or failed. A row that is fetched or done is returned as it is. One
   * statement; idempotent per normalised URL.
   *
   * @throws WinnowError `bad_input` when `url` is not an absolute URL.
   */
  recordSubmission(submission: { url: string; source: PageSource }): Promise<PageRecord>;
  /**
   * Pending submissions whose `updated_at` is before `olderThan` (ISO 8601), in id order after
   * `afterId` (keyset pagination). `limit` defaults to 500 and is capped at 5000.
   *
   * @throws WinnowError `bad_input` when `olderThan` is not a date or `afterId` not a string.
   */
  listPendingSubmissions(options: { olderThan: string; afterId?: string; limit?: number }): Promise<PageRecord[]>;
  /**
   * The page of `url` is stored: delete its pending row, if there is one and it is still pending.
   * A failure record and a stored page are never deleted.
   *
   * @throws WinnowError `bad_input` when `url` is not an absolute URL.
   */
  settleSubmission(url: string): Promise<void>;

  // --- Stage ledger (see workers/reconciler.ts) ---

  /**
   * Pages in `status` whose `updated_at` is before `olderThan` (ISO 8601), in id order after
   * `afterId` (keyset pagination). `limit` defaults to 500 and is capped at 5000.
   *
   * @throws WinnowError `bad_input` when `olderThan` is not a date or `afterId` not a string.
   */
  listWaitingPages(options: { status: WaitingStatus; olderThan: string; afterId?: string; limit?: number }): Promise<WaitingPage[]>;
  /**
   * The reconciler queued the page's job again: add one to its `requeues` and set `updated_at`
   * to now (the page gets a fresh wait before it is looked at again), if it is still in `status`.
   * Returns false when the page has moved on (or is gone).
   */
  markRequeued(pageId: string, status: WaitingStatus): Promise<boolean>;

  close(): Promise<void>;
}
