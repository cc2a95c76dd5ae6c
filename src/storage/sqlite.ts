import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { BlockReview, Correction, CorrectionInput, ReviewCandidate, ReviewCandidateFilter, ReviewStats } from '../review/types.js';
import type { Article, Label } from '../types.js';
import { MIGRATIONS_TABLE, pendingMigrations } from './migrations.js';
import {
  ARTICLES_BY_MODEL_SQL,
  BLOCK_COLUMNS,
  CANDIDATE_COLUMNS,
  CORRECTION_COLUMNS,
  EMPTY_RAW,
  REVIEWED_BLOCKS_COLUMN,
  REVIEWER_COUNTS_SQL,
  REVIEW_STATS_SQL,
  articleParams,
  assertKnownSchema,
  blockParams,
  candidateConditions,
  candidateLimit,
  checkCorrectionInputs,
  clampLimit,
  compress,
  correctionPage,
  decompress,
  donePageIdsPage,
  listConditions,
  listOffset,
  pageUrlKey,
  pendingSubmissionsPage,
  planCorrections,
  reviewerName,
  sha256Hex,
  submissionKey,
  timestamp,
  toBlock,
  toBlockReviews,
  toCandidate,
  toCorrection,
  toModelCounts,
  toPageRecord,
  toReviewStats,
  toReviewedSummary,
  toStoredArticle,
  toSummary,
  toWaitingPage,
  undoneIds,
  unknownArticle,
  unknownPage,
  waitingPagesPage,
  type WaitingPageRow,
  type ArticleRow,
  type BlockRow,
  type CandidateRow,
  type CorrectionRow,
  type CorrectionTarget,
  type DecisionRow,
  type JsonAsText,
  type PageRow,
  type ReviewStatsRow,
  type ReviewedSummaryRow,
  type SummaryRow,
  type UndoneRow,
  latestDecisionsSql,
  auditConditions,
  auditCount,
  reviewedPagesSql,
} from './rows.js';
import type {
  ArticleFilter,
  ArticleListOptions,
  ArticleSummary,
  NewPage,
  PageRecord,
  PageSource,
  ReviewedArticleSummary,
  Store,
  StoredArticle,
  WaitingPage,
  WaitingStatus,
} from './store.js';
import { tryNormalizeUrl } from './url-key.js';

/** Milliseconds a connection waits for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** Connection settings as SQLite reports them (see {@link SqliteStore.settings}). */
export interface SqliteSettings {
  journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
  busyTimeoutMs: number;
  foreignKeys: boolean;
}

/** SQLite returns JSON columns as text; they are decoded before mapping (`decodeCounts`, `decodeBlock`). */
type SqliteArticleRow = JsonAsText<ArticleRow, 'counts'>;
type SqliteSummaryRow = JsonAsText<SummaryRow, 'counts'>;
type SqliteReviewedSummaryRow = JsonAsText<ReviewedSummaryRow, 'counts'>;
type SqliteBlockRow = JsonAsText<BlockRow, 'scores' | 'top_features'>;
type SqliteCandidateRow = JsonAsText<CandidateRow, 'top_features'>;

const PAGE_COLUMNS = `id, url, name, source, status, error_code, error_message, content_sha256, content_type,
  article_id, created_at, updated_at`;
const ARTICLE_COLUMNS = `id, page_id, url, title, byline, published_time, site_name, lang, excerpt, text, html,
  markdown, model, engine, counts, fallback, created_at`;
const SUMMARY_COLUMNS = `a.id, a.page_id, a.url, a.title, a.site_name, a.model, a.block_count, a.counts,
  a.min_confidence, a.created_at`;
const CORRECTION_ROW_COLUMNS = `${CORRECTION_COLUMNS}, created_at`;

type Statements = ReturnType<typeof prepareStatements>;

function prepareStatements(db: Database.Database) {
  return {
    findPage: db.prepare<[string, string], PageRow>(
      `SELECT ${PAGE_COLUMNS} FROM pages WHERE url_key = ? AND content_sha256 = ?`,
    ),
    insertPage: db.prepare<Record<string, unknown>>(
      `INSERT INTO pages (id, url, url_key, name, source, status, content_sha256, content_type, raw, created_at, updated_at)
       VALUES (@id, @url, @urlKey, @name, @source, 'fetched', @sha, @contentType, @raw, @now, @now)
       ON CONFLICT (url_key, content_sha256) DO NOTHING`,
    ),
    getPage: db.prepare<[string], PageRow>(`SELECT ${PAGE_COLUMNS} FROM pages WHERE id = ?`),
    getRaw: db.prepare<[string], Buffer>('SELECT raw FROM pages WHERE id = ?').pluck(),
    deleteArticleOfPage: db.prepare<[string]>('DELETE FROM articles WHERE page_id = ?'),
    insertArticle: db.prepare<Record<string, unknown>>(
      `INSERT INTO articles (id, page_id, url, url_key, site, title, byline, published_time, site_name, lang, excerpt,
         text, html, markdown, model, engine, counts, fallback, block_count, min_confidence, created_at)
       VALUES (@id, @pageId, @url, @urlKey, @site, @title, @byline, @publishedTime, @siteName, @lang, @excerpt,
         @text, @html, @markdown, @model, @engine, @counts, @fallback, @blockCount, @minConfidence, @createdAt)`,
    ),
    insertBlock: db.prepare<Record<string, unknown>>(
      `INSERT INTO blocks (article_id, idx, path, tag, text, html, label, confidence, scores, raw_label, smoothed_by,
         readability, listing_size, listing_key, top_features)
       VALUES (@articleId, @idx, @path, @tag, @text, @html, @label, @confidence, @scores, @rawLabel, @smoothedBy,
         @readability, @listingSize, @listingKey, @topFeatures)`,
    ),
    markDone: db.prepare<Record<string, unknown>>(
      `UPDATE pages SET status = 'done', article_id = @articleId, error_code = NULL, error_message = NULL,
         updated_at = @now WHERE id = @pageId`,
    ),
    markFailed: db.prepare<Record<string, unknown>>(
      `UPDATE pages SET status = 'failed', error_code = @code, error_message = @message, updated_at = @now
       WHERE id = @pageId`,
    ),
    articleById: db.prepare<[string], SqliteArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM articles WHERE id = ?`),
    articleByPage: db.prepare<[string], SqliteArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM articles WHERE page_id = ?`),
    // Matches the URL the page was stored under or the article's own URL; rowid breaks same-millisecond ties.
    latestArticleByUrlKey: db.prepare<{ key: string }, SqliteArticleRow>(
      `SELECT ${ARTICLE_COLUMNS} FROM (
         SELECT a.rowid AS seq, a.* FROM articles a WHERE a.url_key = @key
         UNION
         SELECT a.rowid AS seq, a.* FROM pages p JOIN articles a ON a.page_id = p.id WHERE p.url_key = @key
       ) ORDER BY created_at DESC, seq DESC LIMIT 1`,
    ),
    blocksOf: db.prepare<[string], SqliteBlockRow>(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE article_id = ? ORDER BY idx`),
    failures: db.prepare<[number], PageRow>(
      `SELECT ${PAGE_COLUMNS} FROM pages WHERE status = 'failed' ORDER BY updated_at DESC, rowid DESC LIMIT ?`,
    ),
    correctionTarget: db.prepare<[string], { id: string; page_id: string; model: string }>(
      'SELECT id, page_id, model FROM articles WHERE id = ?',
    ),
    blockAt: db.prepare<[string, number], { path: string; text: string; label: Label }>(
      'SELECT path, text, label FROM blocks WHERE article_id = ? AND idx = ?',
    ),
    // The standing decision per path of a page: the highest live id, found through (page_id, path, id).
    latestDecisions: db.prepare<[string], DecisionRow>(latestDecisionsSql('?')),
    undoneCorrection: db.prepare<[number], UndoneRow>('SELECT id, page_id, path, previous_label FROM corrections WHERE id = ?'),
    insertCorrection: db.prepare<Record<string, unknown>, CorrectionRow>(
      `INSERT INTO corrections (page_id, article_id, block_index, path, text_hash, previous_label, label, reviewer,
         created_at, model, undoes)
       VALUES (@pageId, @articleId, @blockIndex, @path, @textHash, @previousLabel, @label, @reviewer,
         @createdAt, @model, @undoes)
       RETURNING ${CORRECTION_ROW_COLUMNS}`,
    ),
    correctionsAfter: db.prepare<{ afterId: number; limit: number }, CorrectionRow>(
      `SELECT ${CORRECTION_ROW_COLUMNS} FROM corrections WHERE id > @afterId ORDER BY id LIMIT @limit`,
    ),
    pageCorrectionsAfter: db.prepare<{ pageId: string; afterId: number; limit: number }, CorrectionRow>(
      `SELECT ${CORRECTION_ROW_COLUMNS} FROM corrections WHERE page_id = @pageId AND id > @afterId ORDER BY id LIMIT @limit`,
    ),
    reviewedPages: db.prepare<[], { page_id: string; last_corrected_at: string; corrections: number }>(
      reviewedPagesSql('max(created_at) AS last_corrected_at'),
    ),
    reviewStats: db.prepare<[], ReviewStatsRow>(REVIEW_STATS_SQL),
    reviewerCounts: db.prepare<[], { reviewer: string; corrections: number }>(REVIEWER_COUNTS_SQL),
    donePageIds: db
      .prepare<{ afterId: string; limit: number }, string>(
        "SELECT id FROM pages WHERE status = 'done' AND id > @afterId ORDER BY id LIMIT @limit",
      )
      .pluck(),
    articlesByModel: db.prepare<[], { model: string; articles: number }>(ARTICLES_BY_MODEL_SQL),
    // No row back when the existing row is fetched or done: that one is left as it is.
    recordSubmission: db.prepare<Record<string, unknown>, PageRow>(
      `INSERT INTO pages (id, url, url_key, name, source, status, content_sha256, content_type, raw, created_at, updated_at)
       VALUES (@id, @url, @urlKey, NULL, @source, 'pending', @sha, NULL, @raw, @now, @now)
       ON CONFLICT (url_key, content_sha256) DO UPDATE SET status = 'pending', error_code = NULL, error_message = NULL,
         updated_at = excluded.updated_at, requeues = 0
       WHERE pages.status IN ('pending', 'failed')
       RETURNING ${PAGE_COLUMNS}`,
    ),
    pendingSubmissions: db.prepare<{ olderThan: string; afterId: string; limit: number }, PageRow>(
      `SELECT ${PAGE_COLUMNS} FROM pages
       WHERE status = 'pending' AND id > @afterId AND updated_at < @olderThan ORDER BY id LIMIT @limit`,
    ),
    settleSubmission: db.prepare<[string, string]>("DELETE FROM pages WHERE url_key = ? AND content_sha256 = ? AND status = 'pending'"),
    waitingPages: db.prepare<{ status: string; olderThan: string; afterId: string; limit: number }, WaitingPageRow>(
      `SELECT id, url, status, requeues, updated_at FROM pages
       WHERE status = @status AND id > @afterId AND updated_at < @olderThan ORDER BY id LIMIT @limit`,
    ),
    markRequeued: db.prepare<{ pageId: string; status: string; now: string }>(
      'UPDATE pages SET requeues = requeues + 1, updated_at = @now WHERE id = @pageId AND status = @status',
    ),
  };
}

/**
 * The embedded {@link Store}: one SQLite file (WAL, synchronous FULL), raw pages gzip-compressed.
 *
 * Several connections (stores or processes on one host) may share a file; writers take the lock
 * up front (`BEGIN IMMEDIATE`) and wait up to 5 s for each other. Never put the file on a network
 * filesystem.
 */
export class SqliteStore implements Store {
  private readonly statements: Statements;
  /** One prepared statement per combination of list filters. */
  /** List statements by their columns and conditions; each yields the row type it was first prepared for. */
  private readonly listStatements = new Map<string, Database.Statement<[Record<string, unknown>], unknown>>();
  /** One prepared statement per combination of review candidate filters. */
  private readonly candidateStatements = new Map<string, Database.Statement<[Record<string, unknown>], SqliteCandidateRow>>();
  private readonly writeArticle: Database.Transaction<(pageId: string, article: Article) => StoredArticle>;
  private readonly readArticle: Database.Transaction<(idOrUrl: string) => StoredArticle | null>;
  private readonly writeCorrections: Database.Transaction<
    (articleId: string, inputs: CorrectionInput[], reviewer: string) => Correction[]
  >;
  private readonly readStats: Database.Transaction<() => ReviewStats>;
  private readonly writeSubmission: Database.Transaction<(url: string, source: PageSource) => PageRecord>;
  private closed = false;

  private constructor(private readonly db: Database.Database) {
    this.statements = prepareStatements(db);
    this.writeArticle = db.transaction((pageId: string, article: Article) => this.replaceArticle(pageId, article));
    this.readArticle = db.transaction((idOrUrl: string) => this.findArticle(idOrUrl));
    this.writeCorrections = db.transaction((articleId: string, inputs: CorrectionInput[], reviewer: string) =>
      this.insertCorrections(articleId, inputs, reviewer),
    );
    this.readStats = db.transaction(() =>
      toReviewStats(this.statements.reviewStats.get()!, this.statements.reviewerCounts.all()),
    );
    this.writeSubmission = db.transaction((url: string, source: PageSource) => this.upsertSubmission(url, source));
  }

  /**
   * Open (or create) the store at `path`, creating parent folders and applying pending
   * migrations. `':memory:'` gives a private in-memory store.
   */
  static open(path: string): SqliteStore {
    ensureParentDir(path);
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      configure(db);
      migrate(db);
      return new SqliteStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** The connection's journal mode, sync level, busy timeout and foreign-key enforcement. */
  settings(): SqliteSettings {
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
      foreignKeys: Number(this.db.pragma('foreign_keys', { simple: true })) === 1,
    };
  }

  /**
   * Keep a page's raw bytes, keyed on (normalised URL, sha256). A page without a URL is keyed
   * on its name, or on its bytes alone when it has no name either.
   *
   * @throws WinnowError `bad_input` when `url` is not an absolute URL.
   */
  async putPage(page: NewPage): Promise<{ page: PageRecord; created: boolean }> {
    const sha = sha256Hex(page.raw);
    const urlKey = pageUrlKey(page, sha);
    const existing = this.statements.findPage.get(urlKey, sha);
    if (existing) {
      return { page: toPageRecord(existing), created: false };
    }
    const raw = await compress(page.raw);
    const info = this.statements.insertPage.run({
      id: randomUUID(),
      url: page.url ?? null,
      urlKey,
      name: page.name ?? null,
      source: page.source,
      sha,
      contentType: page.contentType ?? null,
      raw,
      now: timestamp(),
    });
    // On a conflict another connection stored the same page between the lookup and the insert.
    const stored = this.statements.findPage.get(urlKey, sha);
    if (!stored) {
      throw new Error(`page vanished right after insert: ${urlKey}`);
    }
    return { page: toPageRecord(stored), created: info.changes === 1 };
  }

  async getPage(id: string): Promise<PageRecord | null> {
    const row = this.statements.getPage.get(id);
    return row ? toPageRecord(row) : null;
  }

  async getRawPage(id: string): Promise<Uint8Array | null> {
    const compressed = this.statements.getRaw.get(id);
    if (!compressed) {
      return null;
    }
    return decompress(compressed);
  }

  /**
   * Replace the page's article and blocks and mark it done, in one transaction.
   *
   * @throws WinnowError `bad_input` when no page has this id.
   */
  async saveArticle(pageId: string, article: Article): Promise<StoredArticle> {
    return this.writeArticle.immediate(pageId, article);
  }

  /**
   * Mark the page failed with a reason. Its raw bytes stay, and so does an article stored by an
   * earlier successful run.
   *
   * @throws WinnowError `bad_input` when no page has this id.
   */
  async saveFailure(pageId: string, failure: { code: string; message: string }): Promise<PageRecord> {
    const info = this.statements.markFailed.run({ pageId, code: failure.code, message: failure.message, now: timestamp() });
    const row = info.changes === 0 ? undefined : this.statements.getPage.get(pageId);
    if (!row) {
      throw unknownPage(pageId);
    }
    return toPageRecord(row);
  }

  /** By article id, page id, or URL (normalised; the most recently stored article for it). */
  async getArticle(idOrUrl: string): Promise<StoredArticle | null> {
    return this.readArticle.deferred(idOrUrl);
  }

  /**
   * Summaries newest first. `limit` defaults to 50 and is capped at 1000. With `reviewedBlocks`,
   * each summary also counts its reviewed blocks, in the same statement.
   */
  listArticles(filter?: ArticleFilter): Promise<ArticleSummary[]>;
  listArticles(filter: ArticleFilter | undefined, options: ArticleListOptions & { reviewedBlocks: true }): Promise<ReviewedArticleSummary[]>;
  listArticles(filter?: ArticleFilter, options?: ArticleListOptions): Promise<ArticleSummary[]>;
  async listArticles(filter: ArticleFilter = {}, options: ArticleListOptions = {}): Promise<ArticleSummary[]> {
    const params: Record<string, unknown> = { limit: clampLimit(filter.limit), offset: listOffset(filter) };
    const conditions = listConditions(filter, (name, value) => {
      params[name] = value;
      return `@${name}`;
    });
    if (options.reviewedBlocks) {
      return this.listStatement<SqliteReviewedSummaryRow>(`${SUMMARY_COLUMNS}, ${REVIEWED_BLOCKS_COLUMN}`, conditions)
        .all(params)
        .map((row) => toReviewedSummary(decodeCounts(row)));
    }
    return this.listStatement<SqliteSummaryRow>(SUMMARY_COLUMNS, conditions)
      .all(params)
      .map((row) => toSummary(decodeCounts(row)));
  }

  /** Failed pages, most recently failed first. `limit` defaults to 50 and is capped at 1000. */
  async listFailures(limit?: number): Promise<PageRecord[]> {
    return this.statements.failures.all(clampLimit(limit)).map(toPageRecord);
  }

  /**
   * Record reviewer decisions on blocks of a stored article, in one write transaction: every
   * `expected` is checked against the block's effective label, then all rows are inserted, or
   * none. A block may appear only once per batch.
   *
   * @throws WinnowError `not_found` for an unknown (or replaced) article; `bad_input` for a bad
   *   reviewer, an empty batch, a block index out of range, a repeated block or an undo that does
   *   not fit; ConflictError when a block's label changed (nothing is written).
   */
  async addCorrections(articleId: string, inputs: CorrectionInput[], reviewer: string): Promise<Correction[]> {
    const name = reviewerName(reviewer);
    checkCorrectionInputs(inputs);
    return this.writeCorrections.immediate(articleId, inputs, name);
  }

  /** Corrections oldest first. `limit` defaults to 1000 and is capped at 10000. */
  async listCorrections(filter: { pageId?: string; afterId?: number; limit?: number } = {}): Promise<Correction[]> {
    const page = correctionPage(filter);
    const rows =
      filter.pageId === undefined
        ? this.statements.correctionsAfter.all(page)
        : this.statements.pageCorrectionsAfter.all({ pageId: filter.pageId, ...page });
    return rows.map(toCorrection);
  }

  async blockReviews(pageId: string): Promise<Map<string, BlockReview>> {
    return toBlockReviews(this.statements.latestDecisions.all(pageId));
  }

  /** Least confident first. `limit` defaults to 2000 and is capped at 10000. */
  async listReviewCandidates(filter: ReviewCandidateFilter = {}): Promise<ReviewCandidate[]> {
    const params: Record<string, unknown> = { limit: candidateLimit(filter) };
    const conditions = candidateConditions(filter, (name, value) => {
      params[name] = value;
      return `@${name}`;
    });
    const candidates = this.candidateStatement(conditions)
      .all(params)
      .map((row) => toCandidate({ ...row, top_features: JSON.parse(row.top_features) as string[] }));
    const audit = auditCount(filter);
    if (audit === 0) return candidates;
    const auditParams: Record<string, unknown> = { limit: audit };
    const where = auditConditions(filter, (name, value) => {
      auditParams[name] = value;
      return `@${name}`;
    });
    const sampled = this.db
      .prepare<Record<string, unknown>, SqliteCandidateRow>(
        `SELECT ${CANDIDATE_COLUMNS} FROM pages p JOIN articles a ON a.id = p.article_id JOIN blocks b ON b.article_id = a.id
         WHERE ${where.join(' AND ')} ORDER BY random() LIMIT @limit`,
      )
      .all(auditParams)
      .map((row) => toCandidate({ ...row, top_features: JSON.parse(row.top_features) as string[] }, true));
    return [...candidates, ...sampled];
  }

  async listReviewedPages(): Promise<{ pageId: string; lastCorrectedAt: string; corrections: number }[]> {
    return this.statements.reviewedPages
      .all()
      .map((row) => ({ pageId: row.page_id, lastCorrectedAt: row.last_corrected_at, corrections: row.corrections }));
  }

  async reviewStats(): Promise<ReviewStats> {
    return this.readStats.deferred();
  }

  /** Keyset pagination: pass the last id of a page as `afterId`. `limit` defaults to 500 and is capped at 5000. */
  async listDonePageIds(options: { afterId?: string; limit?: number } = {}): Promise<string[]> {
    return this.statements.donePageIds.all(donePageIdsPage(options));
  }

  async countArticlesByModel(): Promise<Record<string, number>> {
    return toModelCounts(this.statements.articlesByModel.all());
  }

  /**
   * Insert the pending row of `url`, or set its pending or failed row back to pending, in one
   * write transaction; a fetched or done row is returned as it is.
   *
   * @throws WinnowError `bad_input` when `url` is not an absolute URL.
   */
  async recordSubmission(submission: { url: string; source: PageSource }): Promise<PageRecord> {
    return this.writeSubmission.immediate(submission.url, submission.source);
  }

  /** Keyset pagination: pass the last id of a page as `afterId`. `limit` defaults to 500 and is capped at 5000. */
  async listPendingSubmissions(options: { olderThan: string; afterId?: string; limit?: number }): Promise<PageRecord[]> {
    return this.statements.pendingSubmissions.all(pendingSubmissionsPage(options)).map(toPageRecord);
  }

  /** Delete the pending row of `url` if it is still pending (a failure record stays). */
  async settleSubmission(url: string): Promise<void> {
    const { urlKey, sha } = submissionKey(url);
    this.statements.settleSubmission.run(urlKey, sha);
  }

  /** Keyset pagination: pass the last id of a page as `afterId`. `limit` defaults to 500 and is capped at 5000. */
  async listWaitingPages(options: { status: WaitingStatus; olderThan: string; afterId?: string; limit?: number }): Promise<WaitingPage[]> {
    return this.statements.waitingPages.all(waitingPagesPage(options)).map(toWaitingPage);
  }

  async markRequeued(pageId: string, status: WaitingStatus): Promise<boolean> {
    return this.statements.markRequeued.run({ pageId, status, now: timestamp() }).changes === 1;
  }

  /** Close the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.db.close();
  }

  private replaceArticle(pageId: string, article: Article): StoredArticle {
    const page = this.statements.getPage.get(pageId);
    if (!page) {
      throw unknownPage(pageId);
    }
    const articleId = randomUUID();
    const now = timestamp();
    this.statements.deleteArticleOfPage.run(pageId);
    this.statements.insertArticle.run(articleParams(articleId, page, article, now));
    for (const block of article.blocks) {
      this.statements.insertBlock.run({ articleId, ...blockParams(block) });
    }
    this.statements.markDone.run({ pageId, articleId, now });
    return this.loadArticle(this.statements.articleById.get(articleId)!);
  }

  private upsertSubmission(url: string, source: PageSource): PageRecord {
    const { urlKey, sha } = submissionKey(url);
    const params = { id: randomUUID(), url, urlKey, source, sha, raw: EMPTY_RAW, now: timestamp() };
    const row = this.statements.recordSubmission.get(params) ?? this.statements.findPage.get(urlKey, sha);
    if (!row) {
      throw new Error(`submission vanished right after insert: ${urlKey}`);
    }
    return toPageRecord(row);
  }

  private insertCorrections(articleId: string, inputs: CorrectionInput[], reviewer: string): Correction[] {
    const article = this.statements.correctionTarget.get(articleId);
    if (!article) {
      throw unknownArticle(articleId);
    }
    const blocks: CorrectionTarget['blocks'] = new Map(
      inputs.flatMap((input) => {
        const block = this.statements.blockAt.get(articleId, input.blockIndex);
        return block ? [[input.blockIndex, block] as const] : [];
      }),
    );
    const latest = new Map(this.statements.latestDecisions.all(article.page_id).map((row) => [row.path, row]));
    const undone = undoneIds(inputs).flatMap((id) => this.statements.undoneCorrection.all(id));
    const target = { articleId, pageId: article.page_id, model: article.model, blocks };
    return planCorrections(target, inputs, reviewer, latest, undone, timestamp()).map((row) =>
      toCorrection(this.statements.insertCorrection.get(row)!),
    );
  }

  private findArticle(idOrUrl: string): StoredArticle | null {
    const row =
      this.statements.articleById.get(idOrUrl) ??
      this.statements.articleByPage.get(idOrUrl) ??
      this.latestArticleForUrl(idOrUrl);
    return row ? this.loadArticle(row) : null;
  }

  private latestArticleForUrl(url: string): SqliteArticleRow | undefined {
    const key = tryNormalizeUrl(url);
    return key === null ? undefined : this.statements.latestArticleByUrlKey.get({ key });
  }

  private loadArticle(row: SqliteArticleRow): StoredArticle {
    const blocks = this.statements.blocksOf.all(row.id).map((block) => toBlock(decodeBlock(block)));
    return toStoredArticle(decodeCounts(row), blocks);
  }

  /**
   * The list statement selecting `columns` under these conditions (see {@link listConditions}).
   * `Row` must be the row those columns make: the cache is keyed on the columns too.
   */
  private listStatement<Row>(columns: string, conditions: string[]): Database.Statement<[Record<string, unknown>], Row> {
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const sql = `SELECT ${columns} FROM articles a ${where}
         ORDER BY a.created_at DESC, a.rowid DESC LIMIT @limit OFFSET @offset`;
    let statement = this.listStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare<Record<string, unknown>, Row>(sql);
      this.listStatements.set(sql, statement);
    }
    return statement as Database.Statement<[Record<string, unknown>], Row>;
  }

  /** The candidate statement for these conditions (see {@link candidateConditions}). */
  private candidateStatement(conditions: string[]): Database.Statement<[Record<string, unknown>], SqliteCandidateRow> {
    const cacheKey = conditions.join(' AND ');
    let statement = this.candidateStatements.get(cacheKey);
    if (!statement) {
      statement = this.db.prepare<Record<string, unknown>, SqliteCandidateRow>(
        `SELECT ${CANDIDATE_COLUMNS}
         FROM pages p JOIN articles a ON a.id = p.article_id JOIN blocks b ON b.article_id = a.id
         WHERE ${cacheKey}
         ORDER BY a.fallback DESC, b.confidence, a.id, b.idx LIMIT @limit`,
      );
      this.candidateStatements.set(cacheKey, statement);
    }
    return statement;
  }
}

function ensureParentDir(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) {
    return;
  }
  mkdirSync(dirname(resolve(path)), { recursive: true });
}

function configure(db: Database.Database): void {
  // busy_timeout first, so switching to WAL waits for a connection that holds the file.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

/** Apply pending migrations in one write transaction, so two processes opening at once apply them once. */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(MIGRATIONS_TABLE.sqlite);
    const applied = new Set(db.prepare<[], number>('SELECT version FROM schema_migrations').pluck().all());
    assertKnownSchema(applied);
    const record = db.prepare<[number, string, string]>(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of pendingMigrations(applied)) {
      db.exec(migration.sqlite);
      record.run(migration.version, migration.name, timestamp());
    }
  }).immediate();
}

/** An article or summary row with its `counts` column decoded. */
function decodeCounts<Row extends { counts: string }>(row: Row): Omit<Row, 'counts'> & { counts: Record<Label, number> } {
  return { ...row, counts: JSON.parse(row.counts) as Record<Label, number> };
}

function decodeBlock(row: SqliteBlockRow): BlockRow {
  return {
    ...row,
    scores: JSON.parse(row.scores) as Record<Label, number>,
    top_features: JSON.parse(row.top_features) as string[],
  };
}
