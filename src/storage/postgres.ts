import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { WinnowError } from '../errors.js';
import type { BlockReview, Correction, CorrectionInput, ReviewCandidate, ReviewCandidateFilter, ReviewStats } from '../review/types.js';
import type { Article, Label, LabeledBlock } from '../types.js';
import { MIGRATIONS_TABLE, pendingMigrations } from './migrations.js';
import { storeUnavailable } from './unavailable.js';
import {
  ARTICLES_BY_MODEL_SQL,
  ARTICLE_PARAM_ORDER,
  BLOCK_COLUMNS,
  BLOCK_PARAM_ORDER,
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
  type ArticleParams,
  type ArticleRow,
  type BlockRow,
  type CandidateRow,
  type CorrectionRow,
  type DecisionRow,
  type NewCorrection,
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

/** Advisory lock key held (per database) while migrations run, so concurrent starters migrate once. */
const MIGRATION_LOCK_KEY = '7421130598263112777';

/** Connection pool settings; every field has a production default. */
export interface PostgresOptions {
  /** Most connections the pool opens (default 10). */
  maxConnections?: number;
  /** Longest wait to open a connection or get one from a full pool, in ms (default 5000). */
  connectionTimeoutMs?: number;
  /** Server-side limit per statement, in ms (default 30000). */
  statementTimeoutMs?: number;
  /** Idle connections are closed after this many ms (default 30000). */
  idleTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity (default `winnow`). */
  applicationName?: string;
}

const DEFAULTS: Required<PostgresOptions> = {
  maxConnections: 10,
  connectionTimeoutMs: 5000,
  statementTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  applicationName: 'winnow',
};

// PostgreSQL returns `json` columns parsed, so its rows are read as rows.ts declares them.

/** A TIMESTAMPTZ as the ISO-8601 UTC string SqliteStore stores (`2024-05-02T06:30:00.123456Z`). */
function iso(column: string, alias = column.replace(/^\w+\./, '')): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${alias}`;
}

const PAGE_COLUMNS = `id, url, name, source, status, error_code, error_message, content_sha256, content_type,
  article_id, ${iso('created_at')}, ${iso('updated_at')}`;
const ARTICLE_COLUMNS = `id, page_id, url, title, byline, published_time, site_name, lang, excerpt, text, html,
  markdown, model, engine, counts, fallback, ${iso('created_at')}`;
const SUMMARY_COLUMNS = `a.id, a.page_id, a.url, a.title, a.site_name, a.model, a.block_count, a.counts,
  a.min_confidence, ${iso('a.created_at')}`;
const CORRECTION_ROW_COLUMNS = `${CORRECTION_COLUMNS}, ${iso('created_at')}`;

const SQL = {
  // md5(url_key) first so the lookup uses the unique index (URL keys can be too long for a btree).
  findPage: `SELECT ${PAGE_COLUMNS} FROM pages
    WHERE md5(url_key) = md5($1) AND url_key = $1 AND content_sha256 = $2`,
  insertPage: `INSERT INTO pages (id, url, url_key, name, source, status, content_sha256, content_type, raw, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, 'fetched', $6, $7, $8, $9, $9)
    ON CONFLICT (md5(url_key), content_sha256) DO NOTHING
    RETURNING ${PAGE_COLUMNS}`,
  getPage: `SELECT ${PAGE_COLUMNS} FROM pages WHERE id = $1`,
  lockPage: `SELECT id, url FROM pages WHERE id = $1 FOR UPDATE`,
  getRaw: 'SELECT raw FROM pages WHERE id = $1',
  deleteArticleOfPage: 'DELETE FROM articles WHERE page_id = $1',
  insertArticle: `INSERT INTO articles (id, page_id, url, url_key, site, title, byline, published_time, site_name, lang,
      excerpt, text, html, markdown, model, engine, counts, fallback, block_count, min_confidence, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
  // One statement for all blocks of an article, whatever their number: one array parameter per column.
  insertBlocks: `INSERT INTO blocks (article_id, idx, path, tag, text, html, label, confidence, scores, raw_label,
      smoothed_by, readability, listing_size, listing_key, top_features)
    SELECT $1, b.* FROM unnest($2::integer[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::double precision[], $9::json[], $10::text[], $11::text[], $12::double precision[], $13::integer[],
      $14::text[], $15::json[]) AS b`,
  markDone: `UPDATE pages SET status = 'done', article_id = $2, error_code = NULL, error_message = NULL, updated_at = $3
    WHERE id = $1`,
  markFailed: `UPDATE pages SET status = 'failed', error_code = $2, error_message = $3, updated_at = $4
    WHERE id = $1 RETURNING ${PAGE_COLUMNS}`,
  articleById: `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE id = $1`,
  articleByPage: `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE page_id = $1`,
  // The URL the page was stored under or the article's own URL; id breaks (cross-process) timestamp ties.
  latestArticleByUrlKey: `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE id IN (
      SELECT a.id FROM articles a WHERE a.url_key = $1
      UNION
      SELECT a.id FROM pages p JOIN articles a ON a.page_id = p.id WHERE p.url_key = $1
    ) ORDER BY articles.created_at DESC, id DESC LIMIT 1`,
  blocksOf: `SELECT ${BLOCK_COLUMNS} FROM blocks WHERE article_id = $1 ORDER BY idx`,
  failures: `SELECT ${PAGE_COLUMNS} FROM pages WHERE status = 'failed' ORDER BY pages.updated_at DESC, id DESC LIMIT $1`,
  pageOfArticle: 'SELECT page_id FROM articles WHERE id = $1',
  correctionTarget: 'SELECT id, page_id, model FROM articles WHERE id = $1',
  blocksAt: 'SELECT idx, path, text, label FROM blocks WHERE article_id = $1 AND idx = ANY($2::integer[])',
  // The latest decision per path of a page: the highest id, found through (page_id, path, id).
  latestDecisions: latestDecisionsSql('$1', iso('created_at')),
  undoneCorrections: 'SELECT id, page_id, path, previous_label FROM corrections WHERE id = ANY($1::bigint[])',
  // One statement per batch; ORDER BY the input position makes ids follow the batch order.
  insertCorrections: `INSERT INTO corrections (page_id, article_id, block_index, path, text_hash, previous_label, label,
      reviewer, created_at, model, undoes)
    SELECT $1, $2, c.block_index, c.path, c.text_hash, c.previous_label, c.label, $3, $4, $5, c.undoes
    FROM unnest($6::integer[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[])
      WITH ORDINALITY AS c (block_index, path, text_hash, previous_label, label, undoes, n)
    ORDER BY c.n
    RETURNING ${CORRECTION_ROW_COLUMNS}`,
  correctionsAfter: `SELECT ${CORRECTION_ROW_COLUMNS} FROM corrections WHERE id > $1 ORDER BY id LIMIT $2`,
  pageCorrectionsAfter: `SELECT ${CORRECTION_ROW_COLUMNS} FROM corrections WHERE page_id = $1 AND id > $2
    ORDER BY id LIMIT $3`,
  reviewedPages: reviewedPagesSql(iso('max(created_at)', 'last_corrected_at')),
  donePageIds: "SELECT id FROM pages WHERE status = 'done' AND id > $1 ORDER BY id LIMIT $2",
  // No row back when the existing row is fetched or done: that one is left as it is.
  recordSubmission: `INSERT INTO pages (id, url, url_key, name, source, status, content_sha256, content_type, raw, created_at, updated_at)
    VALUES ($1, $2, $3, NULL, $4, 'pending', $5, NULL, $6, $7, $7)
    ON CONFLICT (md5(url_key), content_sha256) DO UPDATE SET status = 'pending', error_code = NULL, error_message = NULL,
      updated_at = excluded.updated_at, requeues = 0
    WHERE pages.status IN ('pending', 'failed')
    RETURNING ${PAGE_COLUMNS}`,
  pendingSubmissions: `SELECT ${PAGE_COLUMNS} FROM pages
    WHERE status = 'pending' AND id > $2 AND pages.updated_at < $1::timestamptz ORDER BY id LIMIT $3`,
  settleSubmission: `DELETE FROM pages
    WHERE md5(url_key) = md5($1) AND url_key = $1 AND content_sha256 = $2 AND status = 'pending'`,
  waitingPages: `SELECT id, url, status, requeues, ${iso('updated_at')} FROM pages
    WHERE status = $1 AND id > $3 AND pages.updated_at < $2::timestamptz ORDER BY id LIMIT $4`,
  markRequeued: 'UPDATE pages SET requeues = requeues + 1, updated_at = $3 WHERE id = $1 AND status = $2',
} as const;

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/**
 * The scale-out {@link Store} on PostgreSQL: a bounded connection pool, raw pages gzip-compressed
 * in a `bytea`, and the same semantics as SqliteStore (see the store contract tests).
 *
 * When the database cannot be reached (down, restarting, connection dropped, pool exhausted) methods
 * reject with a retryable {@link WinnowError} `network`, so queue workers back off and retry; a
 * statement or lock timeout is a retryable `timeout`. The pool reconnects by itself once the server
 * is back.
 */
export class PostgresStore implements Store {
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  /**
   * Connect to `url` (`postgres://…` or `postgresql://…`) and apply pending migrations, under an
   * advisory lock so several workers starting at once migrate exactly once.
   *
   * @throws WinnowError `network` (retryable) when the server cannot be reached.
   */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
    const settings = { ...DEFAULTS, ...definedOnly(options) };
    const pool = new pg.Pool({
      connectionString: url,
      max: settings.maxConnections,
      connectionTimeoutMillis: settings.connectionTimeoutMs,
      idleTimeoutMillis: settings.idleTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      // A client that dies mid-transaction must not hold row locks for long.
      idle_in_transaction_session_timeout: Math.max(settings.statementTimeoutMs, 60_000),
      application_name: settings.applicationName,
      keepAlive: true,
    });
    // Idle connections the server drops (restart, failover) are reported here; the pool discards
    // them and opens new ones on demand. Without a listener the error would crash the process.
    pool.on('error', () => {});
    try {
      await translateErrors(() => migrate(pool));
      return new PostgresStore(pool);
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
  }

  /**
   * Keep a page's raw bytes, keyed on (normalised URL, sha256). A page without a URL is keyed on
   * its name, or on its bytes alone when it has no name either.
   *
   * @throws WinnowError `bad_input` when `url` is not an absolute URL.
   */
  async putPage(page: NewPage): Promise<{ page: PageRecord; created: boolean }> {
    const sha = sha256Hex(page.raw);
    const urlKey = pageUrlKey(page, sha);
    return this.run(async () => {
      const existing = await this.one<PageRow>(this.pool, SQL.findPage, [urlKey, sha]);
      if (existing) {
        return { page: toPageRecord(existing), created: false };
      }
      const raw = await compress(page.raw);
      const inserted = await this.one<PageRow>(this.pool, SQL.insertPage, [
        randomUUID(),
        page.url ?? null,
        urlKey,
        page.name ?? null,
        page.source,
        sha,
        page.contentType ?? null,
        raw,
        timestamp(),
      ]);
      if (inserted) {
        return { page: toPageRecord(inserted), created: true };
      }
      // On a conflict another connection stored the same page between the lookup and the insert;
      // ON CONFLICT waited for its commit, so the page is visible now.
      const stored = await this.one<PageRow>(this.pool, SQL.findPage, [urlKey, sha]);
      if (!stored) {
        throw new Error(`page vanished right after insert: ${urlKey.slice(0, 200)}`);
      }
      return { page: toPageRecord(stored), created: false };
    });
  }

  async getPage(id: string): Promise<PageRecord | null> {
    return this.run(async () => {
      const row = await this.one<PageRow>(this.pool, SQL.getPage, [id]);
      return row ? toPageRecord(row) : null;
    });
  }

  async getRawPage(id: string): Promise<Uint8Array | null> {
    return this.run(async () => {
      const row = await this.one<{ raw: Buffer }>(this.pool, SQL.getRaw, [id]);
      if (!row) {
        return null;
      }
      return decompress(row.raw);
    });
  }

  /**
   * Replace the page's article and blocks and mark it done, in one transaction (all blocks in one
   * statement). Concurrent saves for one page are serialised on the page row.
   *
   * @throws WinnowError `bad_input` when no page has this id.
   */
  async saveArticle(pageId: string, article: Article): Promise<StoredArticle> {
    return this.run(() =>
      inTransaction(this.pool, async (client) => {
        const page = await this.one<{ id: string; url: string | null }>(client, SQL.lockPage, [pageId]);
        if (!page) {
          throw unknownPage(pageId);
        }
        const articleId = randomUUID();
        const now = timestamp();
        await client.query(SQL.deleteArticleOfPage, [pageId]);
        await client.query(SQL.insertArticle, positionalArticleParams(articleParams(articleId, page, article, now)));
        if (article.blocks.length > 0) {
          await client.query(SQL.insertBlocks, blockColumns(articleId, article.blocks));
        }
        await client.query(SQL.markDone, [pageId, articleId, now]);
        const row = await this.one<ArticleRow>(client, SQL.articleById, [articleId]);
        return this.loadArticle(client, row!);
      }),
    );
  }

  /**
   * Mark the page failed with a reason. Its raw bytes stay, and so does an article stored by an
   * earlier successful run.
   *
   * @throws WinnowError `bad_input` when no page has this id.
   */
  async saveFailure(pageId: string, failure: { code: string; message: string }): Promise<PageRecord> {
    return this.run(async () => {
      const row = await this.one<PageRow>(this.pool, SQL.markFailed, [pageId, failure.code, failure.message, timestamp()]);
      if (!row) {
        throw unknownPage(pageId);
      }
      return toPageRecord(row);
    });
  }

  /** By article id, page id, or URL (normalised; the most recently stored article for it). */
  async getArticle(idOrUrl: string): Promise<StoredArticle | null> {
    // One snapshot for the article and its blocks, so a concurrent replace is seen whole or not at all.
    return this.run(() =>
      inTransaction(this.pool, async (client) => {
        const row =
          (await this.one<ArticleRow>(client, SQL.articleById, [idOrUrl])) ??
          (await this.one<ArticleRow>(client, SQL.articleByPage, [idOrUrl])) ??
          (await this.latestArticleForUrl(client, idOrUrl));
        return row ? this.loadArticle(client, row) : null;
      }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
    );
  }

  /**
   * Summaries newest first. `limit` defaults to 50 and is capped at 1000. With `reviewedBlocks`,
   * each summary also counts its reviewed blocks, in the same statement: a correlated subquery that
   * PostgreSQL evaluates after the sort, only for the rows up to OFFSET + LIMIT.
   */
  listArticles(filter?: ArticleFilter): Promise<ArticleSummary[]>;
  listArticles(filter: ArticleFilter | undefined, options: ArticleListOptions & { reviewedBlocks: true }): Promise<ReviewedArticleSummary[]>;
  listArticles(filter?: ArticleFilter, options?: ArticleListOptions): Promise<ArticleSummary[]>;
  async listArticles(filter: ArticleFilter = {}, options: ArticleListOptions = {}): Promise<ArticleSummary[]> {
    const params: unknown[] = [];
    const conditions = listConditions(filter, (_name, value) => `$${params.push(value)}`);
    params.push(clampLimit(filter.limit), listOffset(filter));
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const columns = options.reviewedBlocks ? `${SUMMARY_COLUMNS}, ${REVIEWED_BLOCKS_COLUMN}` : SUMMARY_COLUMNS;
    const sql = `SELECT ${columns} FROM articles a ${where}
      ORDER BY a.created_at DESC, a.id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`;
    if (options.reviewedBlocks) {
      return this.run(async () => (await this.pool.query<ReviewedSummaryRow>(sql, params)).rows.map(toReviewedSummary));
    }
    return this.run(async () => (await this.pool.query<SummaryRow>(sql, params)).rows.map(toSummary));
  }

  /** Failed pages, most recently failed first. `limit` defaults to 50 and is capped at 1000. */
  async listFailures(limit?: number): Promise<PageRecord[]> {
    return this.run(async () => (await this.pool.query<PageRow>(SQL.failures, [clampLimit(limit)])).rows.map(toPageRecord));
  }

  /**
   * Record reviewer decisions on blocks of a stored article, in one transaction: every `expected`
   * is checked against the block's effective label, then all rows are inserted in one statement,
   * or none. The page row is locked first (as saveArticle locks it), so two batches on one page,
   * or a batch and a reprocessing, take turns: the second sees the first's rows. A block may
   * appear only once per batch.
   *
   * @throws WinnowError `not_found` for an unknown (or replaced) article; `bad_input` for a bad
   *   reviewer, an empty batch, a block index out of range, a repeated block or an undo that does
   *   not fit; ConflictError when a block's label changed (nothing is written).
   */
  async addCorrections(articleId: string, inputs: CorrectionInput[], reviewer: string): Promise<Correction[]> {
    const name = reviewerName(reviewer);
    checkCorrectionInputs(inputs);
    return this.run(() =>
      inTransaction(this.pool, async (client) => {
        const located = await this.one<{ page_id: string }>(client, SQL.pageOfArticle, [articleId]);
        if (!located) {
          throw unknownArticle(articleId);
        }
        await client.query(SQL.lockPage, [located.page_id]);
        // Read again under the lock: a reprocessing that committed meanwhile replaced the article.
        const article = await this.one<{ id: string; page_id: string; model: string }>(client, SQL.correctionTarget, [articleId]);
        if (!article) {
          throw unknownArticle(articleId);
        }
        const indices = inputs.map((input) => input.blockIndex);
        const blocks = await client.query<{ idx: number; path: string; text: string; label: Label }>(SQL.blocksAt, [articleId, indices]);
        const latest = await client.query<DecisionRow>(SQL.latestDecisions, [article.page_id]);
        const undone = await client.query<UndoneRow>(SQL.undoneCorrections, [undoneIds(inputs)]);
        const target = {
          articleId,
          pageId: article.page_id,
          model: article.model,
          blocks: new Map(blocks.rows.map((row) => [row.idx, row])),
        };
        const rows = planCorrections(target, inputs, name, new Map(latest.rows.map((row) => [row.path, row])), undone.rows, timestamp());
        const inserted = await client.query<CorrectionRow>(SQL.insertCorrections, correctionColumns(rows));
        return inserted.rows.map(toCorrection).sort((a, b) => a.id - b.id);
      }),
    );
  }

  /** Corrections oldest first. `limit` defaults to 1000 and is capped at 10000. */
  async listCorrections(filter: { pageId?: string; afterId?: number; limit?: number } = {}): Promise<Correction[]> {
    const { afterId, limit } = correctionPage(filter);
    return this.run(async () => {
      const result =
        filter.pageId === undefined
          ? await this.pool.query<CorrectionRow>(SQL.correctionsAfter, [afterId, limit])
          : await this.pool.query<CorrectionRow>(SQL.pageCorrectionsAfter, [filter.pageId, afterId, limit]);
      return result.rows.map(toCorrection);
    });
  }

  async blockReviews(pageId: string): Promise<Map<string, BlockReview>> {
    return this.run(async () => toBlockReviews((await this.pool.query<DecisionRow>(SQL.latestDecisions, [pageId])).rows));
  }

  /** Least confident first. `limit` defaults to 2000 and is capped at 10000. */
  async listReviewCandidates(filter: ReviewCandidateFilter = {}): Promise<ReviewCandidate[]> {
    const params: unknown[] = [];
    const conditions = candidateConditions(filter, (_name, value) => `$${params.push(value)}`);
    params.push(candidateLimit(filter));
    const sql = `SELECT ${CANDIDATE_COLUMNS}
      FROM pages p JOIN articles a ON a.id = p.article_id JOIN blocks b ON b.article_id = a.id
      WHERE ${conditions.join(' AND ')}
      ORDER BY a.fallback DESC, b.confidence, a.id, b.idx LIMIT $${params.length}`;
    const audit = auditCount(filter);
    const auditParams: unknown[] = [];
    const where = auditConditions(filter, (_name, value) => `$${auditParams.push(value)}`);
    auditParams.push(audit);
    const auditSql = `SELECT ${CANDIDATE_COLUMNS}
      FROM pages p JOIN articles a ON a.id = p.article_id JOIN blocks b ON b.article_id = a.id
      WHERE ${where.join(' AND ')} ORDER BY random() LIMIT $${auditParams.length}`;
    return this.run(async () => {
      const candidates = (await this.pool.query<CandidateRow>(sql, params)).rows.map((row) => toCandidate(row));
      if (audit === 0) return candidates;
      const sampled = (await this.pool.query<CandidateRow>(auditSql, auditParams)).rows.map((row) => toCandidate(row, true));
      return [...candidates, ...sampled];
    });
  }

  async listReviewedPages(): Promise<{ pageId: string; lastCorrectedAt: string; corrections: number }[]> {
    return this.run(async () =>
      (await this.pool.query<{ page_id: string; last_corrected_at: string; corrections: number }>(SQL.reviewedPages)).rows.map(
        (row) => ({ pageId: row.page_id, lastCorrectedAt: row.last_corrected_at, corrections: row.corrections }),
      ),
    );
  }

  async reviewStats(): Promise<ReviewStats> {
    // One snapshot for the totals and the per-reviewer counts, so they add up.
    return this.run(() =>
      inTransaction(this.pool, async (client) => {
        const totals = await this.one<ReviewStatsRow>(client, REVIEW_STATS_SQL, []);
        const reviewers = await client.query<{ reviewer: string; corrections: number }>(REVIEWER_COUNTS_SQL);
        return toReviewStats(totals!, reviewers.rows);
      }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
    );
  }

  /** Keyset pagination: pass the last id of a page as `afterId`. `limit` defaults to 500 and is capped at 5000. */
  async listDonePageIds(options: { afterId?: string; limit?: number } = {}): Promise<string[]> {
    const { afterId, limit } = donePageIdsPage(options);
    return this.run(async () => (await this.pool.query<{ id: string }>(SQL.donePageIds, [afterId, limit])).rows.map((row) => row.id));
  }

  async countArticlesByModel(): Promise<Record<string, number>> {
    return this.run(async () => toModelCounts((await this.pool.query<{ model: string; articles: number }>(ARTICLES_BY_MODEL_SQL)).rows));
  }

  /**
   * Insert the pending row of `url`, or set its pending or failed row back to pending, in one
   * statement (ON CONFLICT is atomic against a concurrent insert); a fetched or done row is
   * returned as it is.
   *
   * @throws WinnowError `bad_input` when `url` is not an absolute URL.
   */
  async recordSubmission(submission: { url: string; source: PageSource }): Promise<PageRecord> {
    const { urlKey, sha } = submissionKey(submission.url);
    return this.run(async () => {
      const params = [randomUUID(), submission.url, urlKey, submission.source, sha, EMPTY_RAW, timestamp()];
      const row = (await this.one<PageRow>(this.pool, SQL.recordSubmission, params)) ?? (await this.one<PageRow>(this.pool, SQL.findPage, [urlKey, sha]));
      if (!row) {
        throw new Error(`submission vanished right after insert: ${urlKey.slice(0, 200)}`);
      }
      return toPageRecord(row);
    });
  }

  /** Keyset pagination: pass the last id of a page as `afterId`. `limit` defaults to 500 and is capped at 5000. */
  async listPendingSubmissions(options: { olderThan: string; afterId?: string; limit?: number }): Promise<PageRecord[]> {
    const { olderThan, afterId, limit } = pendingSubmissionsPage(options);
    return this.run(async () => (await this.pool.query<PageRow>(SQL.pendingSubmissions, [olderThan, afterId, limit])).rows.map(toPageRecord));
  }

  /** Delete the pending row of `url` if it is still pending (a failure record stays). */
  async settleSubmission(url: string): Promise<void> {
    const { urlKey, sha } = submissionKey(url);
    await this.run(() => this.pool.query(SQL.settleSubmission, [urlKey, sha]));
  }

  /** Keyset pagination: pass the last id of a page as `afterId`. `limit` defaults to 500 and is capped at 5000. */
  async listWaitingPages(options: { status: WaitingStatus; olderThan: string; afterId?: string; limit?: number }): Promise<WaitingPage[]> {
    const { status, olderThan, afterId, limit } = waitingPagesPage(options);
    return this.run(async () => (await this.pool.query<WaitingPageRow>(SQL.waitingPages, [status, olderThan, afterId, limit])).rows.map(toWaitingPage));
  }

  async markRequeued(pageId: string, status: WaitingStatus): Promise<boolean> {
    return this.run(async () => ((await this.pool.query(SQL.markRequeued, [pageId, status, timestamp()])).rowCount ?? 0) === 1);
  }

  /** Close every connection of the pool. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.pool.end();
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new Error('the store is closed');
    }
    return translateErrors(work);
  }

  private async one<R extends pg.QueryResultRow>(db: Queryable, sql: string, params: unknown[]): Promise<R | undefined> {
    const result = await db.query<R>(sql, params);
    return result.rows[0];
  }

  private async latestArticleForUrl(client: pg.PoolClient, url: string): Promise<ArticleRow | undefined> {
    const key = tryNormalizeUrl(url);
    return key === null ? undefined : this.one<ArticleRow>(client, SQL.latestArticleByUrlKey, [key]);
  }

  private async loadArticle(client: pg.PoolClient, row: ArticleRow): Promise<StoredArticle> {
    const blocks = await client.query<BlockRow>(SQL.blocksOf, [row.id]);
    return toStoredArticle(row, blocks.rows.map(toBlock));
  }
}

/**
 * Apply pending migrations in one transaction under a transaction-scoped advisory lock: a second
 * worker starting at the same time waits for the first to commit, then finds nothing to do.
 */
async function migrate(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    // DDL can outlast the pool's statement timeout; the lock wait ends when the other migrator commits.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(MIGRATIONS_TABLE.postgres);
    const applied = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version),
    );
    assertKnownSchema(applied);
    for (const migration of pendingMigrations(applied)) {
      await client.query(migration.postgres);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        timestamp(),
      ]);
    }
  });
}

/** Run `work` on one connection of `pool` inside `begin` … COMMIT; ROLLBACK on any error. */
async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  // A connection dropped between two statements is reported as an event on the client; the
  // next statement fails with it anyway, so only keep it from crashing the process.
  const onError = () => {};
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.removeListener('error', onError);
    // A connection that could not roll back is destroyed, not reused.
    client.release(broken);
  }
}

/** Node socket errors that mean the server could not be reached or the connection broke. */
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs (besides class 08, connection exception) meaning the server is going away or full. */
const UNAVAILABLE_STATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '53300', // too_many_connections
]);

/** SQLSTATEs of a statement or lock wait cut short by a timeout. */
const TIMEOUT_STATES = new Set([
  '57014', // query_canceled (statement_timeout)
  '55P03', // lock_not_available (lock_timeout)
]);

/** pg's own messages for a dead or unobtainable connection (they carry no code). */
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|is not queryable|Query read timeout|socket hang up/i;

/** Run `work`, turning "database unreachable" errors into retryable WinnowErrors. */
async function translateErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateError(error);
  }
}

function translateError(error: unknown): unknown {
  if (error instanceof WinnowError || !(error instanceof Error)) {
    return error;
  }
  if (isUnreachable(error)) {
    return storeUnavailable('network', error.message || String(error), error);
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TIMEOUT_STATES.has(code)) {
    return storeUnavailable('timeout', error.message, error);
  }
  return error;
}

function isUnreachable(error: Error): boolean {
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (typeof code === 'string' && (SOCKET_ERRORS.has(code) || code.startsWith('08') || UNAVAILABLE_STATES.has(code))) {
    return true;
  }
  if (syscall === 'connect' || CONNECTION_MESSAGES.test(error.message)) {
    return true;
  }
  // Node's happy-eyeballs connect reports one error per address.
  if (error instanceof AggregateError) {
    return error.errors.some((inner) => inner instanceof Error && isUnreachable(inner));
  }
  return error.cause instanceof Error && isUnreachable(error.cause);
}

/** {@link articleParams} as the positional parameters of `SQL.insertArticle`. */
function positionalArticleParams(params: ArticleParams): unknown[] {
  return ARTICLE_PARAM_ORDER.map((key) => params[key]);
}

/** Column arrays for the unnest insert, in the order of `SQL.insertBlocks`. */
function blockColumns(articleId: string, blocks: readonly LabeledBlock[]): unknown[] {
  const rows = blocks.map(blockParams);
  return [articleId, ...BLOCK_PARAM_ORDER.map((key) => rows.map((row) => row[key]))];
}

/** The parameters of `SQL.insertCorrections` for one batch (rows share page, article, reviewer, time and model). */
function correctionColumns(rows: readonly NewCorrection[]): unknown[] {
  const [first] = rows;
  return [
    first.pageId,
    first.articleId,
    first.reviewer,
    first.createdAt,
    first.model,
    rows.map((row) => row.blockIndex),
    rows.map((row) => row.path),
    rows.map((row) => row.textHash),
    rows.map((row) => row.previousLabel),
    rows.map((row) => row.label),
    rows.map((row) => row.undoes),
  ];
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
