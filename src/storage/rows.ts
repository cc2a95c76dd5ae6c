import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { WinnowError } from '../errors.js';
import type { Article, EngineName, Label, LabeledBlock, SmoothingRule } from '../types.js';
import { latestVersion } from './migrations.js';
import type { ArticleFilter, ArticleSummary, NewPage, PageRecord, PageSource, PageStatus, StoredArticle } from './store.js';
import { normalizeUrl, tryNormalizeUrl } from './url-key.js';

/*
 * What SqliteStore and PostgresStore share: the rows they read (with JSON columns already decoded,
 * which is the one thing the backends return differently) and how rows map to records, the values
 * they write, the list filters and limits, and small helpers. Timestamps come back from both
 * backends as the same ISO-8601 UTC strings (see `timestamp`).
 */

const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 1000;
/** min_confidence of an article with no blocks: nothing on it needs review. */
const NO_BLOCKS_CONFIDENCE = 1;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

// ---- Rows as read ----

export interface PageRow {
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

/** An article row with its JSON column decoded. */
export interface ArticleRow {
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
  counts: Record<Label, number>;
  created_at: string;
}

/** A row of the article list, with its JSON column decoded. */
export type SummaryRow = Pick<ArticleRow, 'id' | 'page_id' | 'url' | 'title' | 'site_name' | 'model' | 'counts' | 'created_at'> & {
  block_count: number;
  min_confidence: number;
};

/** A block row with its JSON columns decoded. */
export interface BlockRow {
  idx: number;
  path: string;
  tag: string;
  text: string;
  html: string;
  label: Label;
  confidence: number;
  scores: Record<Label, number>;
  raw_label: Label | null;
  smoothed_by: SmoothingRule | null;
  readability: number;
  listing_size: number;
  listing_key: string | null;
  top_features: string[];
}

/** `Row` as a backend returns it when the JSON columns `K` arrive as text (SQLite). */
export type JsonAsText<Row, K extends keyof Row> = Omit<Row, K> & { [P in K]: string };

/** Columns of {@link BlockRow}, the same in both dialects. */
export const BLOCK_COLUMNS = `idx, path, tag, text, html, label, confidence, scores, raw_label, smoothed_by, readability,
  listing_size, listing_key, top_features`;

// ---- Rows to records ----

export function toPageRecord(row: PageRow): PageRecord {
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

export function toStoredArticle(row: ArticleRow, blocks: LabeledBlock[]): StoredArticle {
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
    counts: row.counts,
  };
}

export function toBlock(row: BlockRow): LabeledBlock {
  const block: LabeledBlock = {
    index: row.idx,
    path: row.path,
    tag: row.tag,
    text: row.text,
    html: row.html,
    label: row.label,
    confidence: row.confidence,
    scores: row.scores,
    readability: row.readability,
    listingSize: row.listing_size,
    listingKey: row.listing_key,
    topFeatures: row.top_features,
  };
  if (row.raw_label !== null) {
    block.rawLabel = row.raw_label;
  }
  if (row.smoothed_by !== null) {
    block.smoothedBy = row.smoothed_by;
  }
  return block;
}

export function toSummary(row: SummaryRow): ArticleSummary {
  return {
    id: row.id,
    pageId: row.page_id,
    url: row.url,
    title: row.title,
    siteName: row.site_name,
    model: row.model,
    blockCount: row.block_count,
    counts: row.counts,
    minConfidence: row.min_confidence,
    createdAt: row.created_at,
  };
}

// ---- Values to write ----

/** The key a page is stored under: its normalised URL, else its name, else its bytes' hash. */
export function pageUrlKey(page: NewPage, sha: string): string {
  if (page.url !== null && page.url !== undefined) {
    return normalizeUrl(page.url);
  }
  return page.name ? `name:${page.name}` : `sha:${sha}`;
}

/** The values of an article's row (JSON columns as text, which both backends accept). */
export function articleParams(id: string, page: { id: string; url: string | null }, article: Article, createdAt: string) {
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

export type ArticleParams = ReturnType<typeof articleParams>;

/** The values of a block's row but its article id (JSON columns as text, which both backends accept). */
export function blockParams(block: LabeledBlock) {
  return {
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

export type BlockParams = ReturnType<typeof blockParams>;

/** `keys` as given, once the type checker has seen that they name every field of `T`. */
function everyKeyOf<T>() {
  return <const K extends readonly (keyof T)[]>(keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : never)): K =>
    keys;
}

/** {@link ArticleParams} in the column order of the article INSERT (for positional parameters). */
export const ARTICLE_PARAM_ORDER = everyKeyOf<ArticleParams>()([
  'id',
  'pageId',
  'url',
  'urlKey',
  'site',
  'title',
  'byline',
  'publishedTime',
  'siteName',
  'lang',
  'excerpt',
  'text',
  'html',
  'markdown',
  'model',
  'engine',
  'counts',
  'blockCount',
  'minConfidence',
  'createdAt',
]);

/** {@link BlockParams} in the column order of the block INSERT, after the article id (for positional parameters). */
export const BLOCK_PARAM_ORDER = everyKeyOf<BlockParams>()([
  'idx',
  'path',
  'tag',
  'text',
  'html',
  'label',
  'confidence',
  'scores',
  'rawLabel',
  'smoothedBy',
  'readability',
  'listingSize',
  'listingKey',
  'topFeatures',
]);

function minConfidence(blocks: readonly LabeledBlock[]): number {
  // reduce, not Math.min(...spread): pages can have more blocks than the argument limit.
  return blocks.reduce((min, block) => Math.min(min, block.confidence), blocks.length > 0 ? Infinity : NO_BLOCKS_CONFIDENCE);
}

// ---- Listing ----

/**
 * The WHERE conditions of an article list (alias `a` for articles) for `filter`. `bind` records a
 * parameter's value under `name` and returns the placeholder the dialect writes for it.
 */
export function listConditions(filter: ArticleFilter, bind: (name: string, value: unknown) => string): string[] {
  const conditions: string[] = [];
  if (filter.site !== undefined) {
    conditions.push(`a.site = ${bind('site', filter.site.toLowerCase())}`);
  }
  if (filter.model !== undefined) {
    conditions.push(`a.model = ${bind('model', filter.model)}`);
  }
  if (filter.label !== undefined) {
    conditions.push(`EXISTS (SELECT 1 FROM blocks b WHERE b.label = ${bind('label', filter.label)} AND b.article_id = a.id)`);
  }
  return conditions;
}

/** `limit` defaults to 50 and is capped at 1000. */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) {
    return DEFAULT_LIST_LIMIT;
  }
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.trunc(limit)));
}

export function listOffset(filter: ArticleFilter): number {
  return Math.max(0, Math.trunc(filter.offset ?? 0) || 0);
}

// ---- Helpers ----

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Raw page bytes as stored. */
export async function compress(raw: Uint8Array): Promise<Buffer> {
  return gzipAsync(raw);
}

/** Stored page bytes back as they were given. */
export async function decompress(stored: Buffer): Promise<Uint8Array> {
  const raw = await gunzipAsync(stored);
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Refuse a database that has migrations this code does not know. */
export function assertKnownSchema(applied: ReadonlySet<number>): void {
  const newest = Math.max(0, ...applied);
  if (newest > latestVersion()) {
    throw new Error(`database schema version ${newest} is newer than this code knows (${latestVersion()})`);
  }
}

let lastStampMicros = 0;

/**
 * ISO-8601 UTC with microseconds (`2024-05-02T06:30:00.123456Z`), strictly increasing within the
 * process, so "newest first" has no same-millisecond ties between writes of one process. Both
 * backends write these (PostgreSQL's TIMESTAMPTZ keeps microseconds, so they read back unchanged).
 */
export function timestamp(): string {
  const micros = Math.max(Date.now() * 1000, lastStampMicros + 1);
  lastStampMicros = micros;
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, -1)}${String(micros % 1000).padStart(3, '0')}Z`;
}

export function unknownPage(pageId: string): WinnowError {
  return new WinnowError('bad_input', `no page with id ${pageId}`);
}
