import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import Database from 'better-sqlite3';
import { WinnowError } from '../errors.js';
import type { Article, EngineName, Label, LabeledBlock, SmoothingRule } from '../types.js';
import { MIGRATIONS_TABLE, latestVersion, pendingMigrations } from './migrations.js';
import type {
  ArticleFilter,
  ArticleSummary,
  NewPage,
  PageRecord,
  PageSource,
  PageStatus,
  Store,
  StoredArticle,
} from './store.js';
import { normalizeUrl, tryNormalizeUrl } from './url-key.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Milliseconds a connection waits for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 1000;
/** min_confidence of an article with no blocks: nothing on it needs review. */
const NO_BLOCKS_CONFIDENCE = 1;

/** Connection settings as SQLite reports them (see {@link SqliteStore.settings}). */
export interface SqliteSettings {
  journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
  busyTimeoutMs: number;
  foreignKeys: boolean;
}

interface PageRow {
  id: string;
  url: string | null;
  name: string | null;
  source: PageSource;
  status: PageStatus;
  error_code: string | null;
  error_message: string | null;
  content_sha256: string;
  content_type: string | null;
  article_id: string | null;
  created_at: string;
  updated_at: string;
}

interface ArticleRow {
  id: string;
  page_id: string;
  url: string | null;
  title: string | null;
  byline: string | null;
  published_time: string | null;
  site_name: string | null;
  lang: string | null;
  excerpt: string | null;
  text: string;
  html: string;
  markdown: string;
  model: string;
  engine: EngineName;
  counts: string;
  created_at: string;
}

type SummaryRow = Pick<ArticleRow, 'id' | 'page_id' | 'url' | 'title' | 'site_name' | 'model' | 'counts' | 'created_at'> & {
  block_count: number;
  min_confidence: number;
};

interface BlockRow {
  idx: number;
  path: string;
  tag: string;
  text: string;
  html: string;
  label: Label;
  confidence: number;
  scores: string;
  raw_label: Label | null;
  smoothed_by: SmoothingRule | null;
  readability: number;
  listing_size: number;
  listing_key: string | null;
  top_features: string;
}

const PAGE_COLUMNS = `id, url, name, source, status, error_code, error_message, content_sha256, content_type,
  article_id, created_at, updated_at`;
const ARTICLE_COLUMNS = `id, page_id, url, title, byline, published_time, site_name, lang, excerpt, text, html,
  markdown, model, engine, counts, created_at`;
const SUMMARY_COLUMNS = `a.id, a.page_id, a.url, a.title, a.site_name, a.model, a.block_count, a.counts,
  a.min_confidence, a.created_at`;
const BLOCK_COLUMNS = `idx, path, tag, text, html, label, confidence, scores, raw_label, smoothed_by, readability,
  listing_size, listing_key, top_features`;

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
         text, html, markdown, model, engine, counts, block_count, min_confidence, created_at)
       VALUES (@id, @pageId, @url, @urlKey, @site, @title, @byline, @publishedTime, @siteName, @lang, @excerpt,
         @text, @html, @markdown, @model, @engine, @counts, @blockCount, @minConfidence, @createdAt)`,
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
    articleById: db.prepare<[string], ArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM articles WHERE id = ?`),
    articleByPage: db.prepare<[string], ArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM articles WHERE page_id = ?`),
    // Matches the URL the page was stored under or the article's own URL; rowid breaks same-millisecond ties.
    latestArticleByUrlKey: db.prepare<{ key: string }, ArticleRow>(
      `SELECT ${ARTICLE_COLUMNS} FROM (
         SELECT a.rowid AS seq, a.* FROM articles a WHERE a.url_key = @key
         UNION
         SELECT a.rowid AS seq, a.* FROM pages p JOIN articles a ON a.page_id = p.id WHERE p.url_key = @key
       ) ORDER BY created_at DESC, seq DESC LIMIT 1`,
    ),
    blocksOf: db.prepare<[string], BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE article_id = ? ORDER BY idx`),
    failures: db.prepare<[number], PageRow>(
      `SELECT ${PAGE_COLUMNS} FROM pages WHERE status = 'failed' ORDER BY updated_at DESC, rowid DESC LIMIT ?`,
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
  private readonly listStatements = new Map<string, Database.Statement<[Record<string, unknown>], SummaryRow>>();
  private readonly writeArticle: Database.Transaction<(pageId: string, article: Article) => StoredArticle>;
  private readonly readArticle: Database.Transaction<(idOrUrl: string) => StoredArticle | null>;
  private closed = false;

  private constructor(private readonly db: Database.Database) {
    this.statements = prepareStatements(db);
    this.writeArticle = db.transaction((pageId: string, article: Article) => this.replaceArticle(pageId, article));
    this.readArticle = db.transaction((idOrUrl: string) => this.findArticle(idOrUrl));
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
    const raw = await gzipAsync(page.raw);
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
    const raw = await gunzipAsync(compressed);
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
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

  /** Summaries newest first. `limit` defaults to 50 and is capped at 1000. */
  async listArticles(filter: ArticleFilter = {}): Promise<ArticleSummary[]> {
    const params: Record<string, unknown> = {
      limit: clampLimit(filter.limit),
      offset: Math.max(0, Math.trunc(filter.offset ?? 0) || 0),
    };
    if (filter.site !== undefined) {
      params.site = filter.site.toLowerCase();
    }
    if (filter.label !== undefined) {
      params.label = filter.label;
    }
    if (filter.model !== undefined) {
      params.model = filter.model;
    }
    return this.listStatement(filter).all(params).map(toSummary);
  }

  /** Failed pages, most recently failed first. `limit` defaults to 50 and is capped at 1000. */
  async listFailures(limit?: number): Promise<PageRecord[]> {
    return this.statements.failures.all(clampLimit(limit)).map(toPageRecord);
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
      this.statements.insertBlock.run(blockParams(articleId, block));
    }
    this.statements.markDone.run({ pageId, articleId, now });
    return this.loadArticle(this.statements.articleById.get(articleId)!);
  }

  private findArticle(idOrUrl: string): StoredArticle | null {
    const row =
      this.statements.articleById.get(idOrUrl) ??
      this.statements.articleByPage.get(idOrUrl) ??
      this.latestArticleForUrl(idOrUrl);
    return row ? this.loadArticle(row) : null;
  }

  private latestArticleForUrl(url: string): ArticleRow | undefined {
    const key = tryNormalizeUrl(url);
    return key === null ? undefined : this.statements.latestArticleByUrlKey.get({ key });
  }

  private loadArticle(row: ArticleRow): StoredArticle {
    return toStoredArticle(row, this.statements.blocksOf.all(row.id).map(toBlock));
  }

  private listStatement(filter: ArticleFilter): Database.Statement<[Record<string, unknown>], SummaryRow> {
    const conditions = listConditions(filter);
    const cacheKey = conditions.join(' AND ');
    let statement = this.listStatements.get(cacheKey);
    if (!statement) {
      const where = conditions.length > 0 ? `WHERE ${cacheKey}` : '';
      statement = this.db.prepare<Record<string, unknown>, SummaryRow>(
        `SELECT ${SUMMARY_COLUMNS} FROM articles a ${where}
         ORDER BY a.created_at DESC, a.rowid DESC LIMIT @limit OFFSET @offset`,
      );
      this.listStatements.set(cacheKey, statement);
    }
    return statement;
  }
}

function listConditions(filter: ArticleFilter): string[] {
  const conditions: string[] = [];
  if (filter.site !== undefined) {
    conditions.push('a.site = @site');
  }
  if (filter.model !== undefined) {
    conditions.push('a.model = @model');
  }
  if (filter.label !== undefined) {
    conditions.push('EXISTS (SELECT 1 FROM blocks b WHERE b.label = @label AND b.article_id = a.id)');
  }
  return conditions;
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
    const newest = Math.max(0, ...applied);
    if (newest > latestVersion()) {
      throw new Error(`database schema version ${newest} is newer than this code knows (${latestVersion()})`);
    }
    const record = db.prepare<[number, string, string]>(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of pendingMigrations(applied)) {
      db.exec(migration.sqlite);
      record.run(migration.version, migration.name, timestamp());
    }
  }).immediate();
}

function pageUrlKey(page: NewPage, sha: string): string {
  if (page.url !== null && page.url !== undefined) {
    return normalizeUrl(page.url);
  }
  return page.name ? `name:${page.name}` : `sha:${sha}`;
}

function articleParams(id: string, page: PageRow, article: Article, createdAt: string): Record<string, unknown> {
  const urlKey = tryNormalizeUrl(article.url ?? page.url);
  return {
    id,
    pageId: page.id,
    url: article.url,
    urlKey,
    site: urlKey === null ? null : new URL(urlKey).hostname,
    title: article.title,
    byline: article.byline,
    publishedTime: article.publishedTime,
    siteName: article.siteName,
    lang: article.lang,
    excerpt: article.excerpt,
    text: article.text,
    html: article.html,
    markdown: article.markdown,
    model: article.model,
    engine: article.engine,
    counts: JSON.stringify(article.counts),
    blockCount: article.blocks.length,
    minConfidence: minConfidence(article.blocks),
    createdAt,
  };
}

function blockParams(articleId: string, block: LabeledBlock): Record<string, unknown> {
  return {
    articleId,
    idx: block.index,
    path: block.path,
    tag: block.tag,
    text: block.text,
    html: block.html,
    label: block.label,
    confidence: block.confidence,
    scores: JSON.stringify(block.scores),
    rawLabel: block.rawLabel ?? null,
    smoothedBy: block.smoothedBy ?? null,
    readability: block.readability,
    listingSize: block.listingSize,
    listingKey: block.listingKey,
    topFeatures: JSON.stringify(block.topFeatures),
  };
}

function minConfidence(blocks: readonly LabeledBlock[]): number {
  // reduce, not Math.min(...spread): pages can have more blocks than the argument limit.
  return blocks.reduce((min, block) => Math.min(min, block.confidence), blocks.length > 0 ? Infinity : NO_BLOCKS_CONFIDENCE);
}

function toPageRecord(row: PageRow): PageRecord {
  return {
    id: row.id,
    url: row.url,
    name: row.name,
    source: row.source,
    status: row.status,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    contentSha256: row.content_sha256,
    contentType: row.content_type,
    articleId: row.article_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toStoredArticle(row: ArticleRow, blocks: LabeledBlock[]): StoredArticle {
  return {
    id: row.id,
    pageId: row.page_id,
    createdAt: row.created_at,
    url: row.url,
    title: row.title,
    byline: row.byline,
    publishedTime: row.published_time,
    siteName: row.site_name,
    lang: row.lang,
    excerpt: row.excerpt,
    text: row.text,
    html: row.html,
    markdown: row.markdown,
    blocks,
    model: row.model,
    engine: row.engine,
    counts: JSON.parse(row.counts) as Record<Label, number>,
  };
}

function toBlock(row: BlockRow): LabeledBlock {
  const block: LabeledBlock = {
    index: row.idx,
    path: row.path,
    tag: row.tag,
    text: row.text,
    html: row.html,
    label: row.label,
    confidence: row.confidence,
    scores: JSON.parse(row.scores) as Record<Label, number>,
    readability: row.readability,
    listingSize: row.listing_size,
    listingKey: row.listing_key,
    topFeatures: JSON.parse(row.top_features) as string[],
  };
  if (row.raw_label !== null) {
    block.rawLabel = row.raw_label;
  }
  if (row.smoothed_by !== null) {
    block.smoothedBy = row.smoothed_by;
  }
  return block;
}

function toSummary(row: SummaryRow): ArticleSummary {
  return {
    id: row.id,
    pageId: row.page_id,
    url: row.url,
    title: row.title,
    siteName: row.site_name,
    model: row.model,
    blockCount: row.block_count,
    counts: JSON.parse(row.counts) as Record<Label, number>,
    minConfidence: row.min_confidence,
    createdAt: row.created_at,
  };
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) {
    return DEFAULT_LIST_LIMIT;
  }
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.trunc(limit)));
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

let lastStampMicros = 0;

/**
 * ISO-8601 UTC with microseconds, strictly increasing within the process, so "newest first" has
 * no same-millisecond ties between writes of one process (PostgreSQL keeps microseconds too).
 */
function timestamp(): string {
  const micros = Math.max(Date.now() * 1000, lastStampMicros + 1);
  lastStampMicros = micros;
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, -1)}${String(micros % 1000).padStart(3, '0')}Z`;
}

function unknownPage(pageId: string): WinnowError {
  return new WinnowError('bad_input', `no page with id ${pageId}`);
}
