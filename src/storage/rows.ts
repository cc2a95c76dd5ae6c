import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip, gzipSync } from 'node:zlib';
import { ConflictError, WinnowError } from '../errors.js';
import type { BlockReview, Correction, CorrectionInput, ReviewCandidate, ReviewCandidateFilter, ReviewStats } from '../review/types.js';
import { isLabel, type Article, type EngineName, type Label, type LabeledBlock, type SmoothingRule } from '../types.js';
import { latestVersion } from './migrations.js';
import type {
  ArticleFilter,
  ArticleSummary,
  NewPage,
  PageRecord,
  PageSource,
  PageStatus,
  ReviewedArticleSummary,
  StoredArticle,
  WaitingPage,
  WaitingStatus,
} from './store.js';
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
  /** 1 when the article is a fallback region (Article.fallback). */
  fallback: number;
  created_at: string;
}

/** A row of the article list, with its JSON column decoded. */
export type SummaryRow = Pick<ArticleRow, 'id' | 'page_id' | 'url' | 'title' | 'site_name' | 'model' | 'counts' | 'created_at'> & {
  block_count: number;
  min_confidence: number;
};

/** A row of the article list that also counts the article's reviewed blocks ({@link REVIEWED_BLOCKS_COLUMN}). */
export type ReviewedSummaryRow = SummaryRow & { reviewed_blocks: number };

/**
 * A correction row (alias `c`) that is a standing decision: not an undo, and not undone since.
 * An undo takes the decision back rather than deciding anew, so a block whose only decision was
 * undone is unreviewed again. The same in both dialects; `corrections (undoes)` serves the
 * NOT EXISTS.
 */
export function liveDecision(alias = 'c'): string {
  return `(${alias}.undoes IS NULL AND NOT EXISTS (SELECT 1 FROM corrections u WHERE u.undoes = ${alias}.id))`;
}

/**
 * The list column counting an article's reviewed blocks (alias `a` for articles), the same in both
 * dialects: distinct paths with a standing decision ({@link liveDecision}) on the article's page,
 * which is what `blockReviews(pageId).size` counts. One index range of
 * `corrections (page_id, path, id)` per listed article.
 */
export const REVIEWED_BLOCKS_COLUMN = `(SELECT CAST(count(DISTINCT c.path) AS INTEGER) FROM corrections c
    WHERE c.page_id = a.page_id AND ${liveDecision('c')}) AS reviewed_blocks`;

/**
 * The standing decision per path of one page (bind the page id as the one parameter `param`):
 * the newest correction that is neither an undo nor undone.
 */
export function latestDecisionsSql(param: string, createdAt = 'created_at'): string {
  return `SELECT id, path, label, reviewer, ${createdAt} FROM corrections
    WHERE id IN (SELECT max(c.id) FROM corrections c WHERE c.page_id = ${param} AND ${liveDecision('c')} GROUP BY c.path)`;
}

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
    fallback: row.fallback === 1,
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

export function toReviewedSummary(row: ReviewedSummaryRow): ReviewedArticleSummary {
  return { ...toSummary(row), reviewedBlocks: row.reviewed_blocks };
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
    fallback: article.fallback ? 1 : 0,
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
  'fallback',
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
  return clampTo(limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
}

/** `limit` as a whole number from 1 to `max`; `fallback` when it is missing or not a number. */
function clampTo(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) {
    return fallback;
  }
  return Math.min(max, Math.max(1, Math.trunc(limit)));
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

export function unknownArticle(articleId: string): WinnowError {
  return new WinnowError('not_found', `no article with id ${articleId} (it may have been replaced by reprocessing)`);
}

// ---- Review ----

/** Longest reviewer name, in characters. */
const MAX_REVIEWER_LENGTH = 64;
/** Hex digits of the block text's sha256 kept with a correction: enough to notice a changed block. */
const TEXT_HASH_LENGTH = 16;
const DEFAULT_CORRECTION_LIMIT = 1000;
const MAX_CORRECTION_LIMIT = 10_000;
const DEFAULT_CANDIDATE_LIMIT = 2000;
/** Most random confident blocks one candidate list adds for audit. */
const MAX_AUDIT = 500;
const MAX_CANDIDATE_LIMIT = 10_000;
/** Blocks less sure than this are review candidates (ReviewCandidateFilter.maxConfidence). */
const DEFAULT_MAX_CONFIDENCE = 0.9;
/** Readability counts as having kept a block from this share of its text on (see LabeledBlock.readability). */
const READABILITY_KEPT = 0.5;
const DEFAULT_DONE_PAGE_LIMIT = 500;
const MAX_DONE_PAGE_LIMIT = 5000;

/** A correction row. PostgreSQL returns its `bigint` ids as text, SQLite as numbers. */
export interface CorrectionRow {
  id: number | string;
  page_id: string;
  article_id: string;
  block_index: number;
  path: string;
  text_hash: string;
  previous_label: Label;
  label: Label;
  reviewer: string;
  created_at: string;
  model: string;
  undoes: number | string | null;
}

/** Columns of {@link CorrectionRow} but `created_at`, which each dialect reads its own way. */
export const CORRECTION_COLUMNS = `id, page_id, article_id, block_index, path, text_hash, previous_label, label, reviewer,
  model, undoes`;

/** The latest correction of one block of a page. */
export interface DecisionRow {
  id: number | string;
  path: string;
  label: Label;
  reviewer: string;
  created_at: string;
}

/** The part of an earlier correction an undo is checked against. */
export interface UndoneRow {
  id: number | string;
  page_id: string;
  path: string;
  previous_label: Label;
}

/** A review candidate row with its JSON column decoded. */
export interface CandidateRow {
  article_id: string;
  page_id: string;
  url: string | null;
  site: string | null;
  title: string | null;
  model: string;
  idx: number;
  path: string;
  tag: string;
  text: string;
  label: Label;
  confidence: number;
  raw_label: Label | null;
  smoothed_by: SmoothingRule | null;
  readability: number;
  listing_size: number;
  listing_key: string | null;
  top_features: string[];
  fallback: number;
  /** Majority label of the block's listing in its article (null outside a listing). */
  listing_label: Label | null;
}

/**
 * The label most blocks of a block's listing carry in its article (alias `b` blocks; ties: the
 * first label by name), or NULL outside a listing. The same in both dialects.
 */
const LISTING_MAJORITY = `(SELECT l.label FROM blocks l WHERE l.article_id = b.article_id AND l.listing_key = b.listing_key
    GROUP BY l.label ORDER BY count(*) DESC, l.label LIMIT 1)`;

/** Smallest listing whose majority says something about one of its blocks. */
const MIN_MAJORITY_LISTING = 3;

/** Columns of {@link CandidateRow} (aliases `p` pages, `a` articles, `b` blocks), the same in both dialects. */
export const CANDIDATE_COLUMNS = `a.id AS article_id, a.page_id, COALESCE(a.url, p.url) AS url, a.site, a.title, a.model,
  b.idx, b.path, b.tag, b.text, b.label, b.confidence, b.raw_label, b.smoothed_by, b.readability, b.listing_size,
  b.listing_key, b.top_features, a.fallback, ${LISTING_MAJORITY} AS listing_label`;

/** What addCorrections reads of the article being reviewed, inside its transaction. */
export interface CorrectionTarget {
  articleId: string;
  pageId: string;
  model: string;
  /** The blocks the inputs name, by index (an index missing here is out of range). */
  blocks: ReadonlyMap<number, { path: string; text: string; label: Label }>;
}

/** A correction to insert: everything but the id the database assigns. (A type, so it binds as named parameters.) */
export type NewCorrection = {
  pageId: string;
  articleId: string;
  blockIndex: number;
  path: string;
  textHash: string;
  previousLabel: Label;
  label: Label;
  reviewer: string;
  createdAt: string;
  model: string;
  undoes: number | null;
};

/** One block of a refused batch: what the client expected and what the block holds now (ConflictError.current). */
export interface BlockConflict {
  blockIndex: number;
  path: string;
  expected: Label;
  /** The block's effective label now. */
  label: Label;
  /** The correction that set it, or null when it is still the model's label. */
  correctionId: number | null;
  reviewer: string | null;
}

export function toCorrection(row: CorrectionRow): Correction {
  return {
    id: Number(row.id),
    pageId: row.page_id,
    articleId: row.article_id,
    blockIndex: row.block_index,
    path: row.path,
    textHash: row.text_hash,
    previousLabel: row.previous_label,
    label: row.label,
    reviewer: row.reviewer,
    createdAt: row.created_at,
    model: row.model,
    undoes: row.undoes === null ? null : Number(row.undoes),
  };
}

/** Latest decisions keyed on block path. */
export function toBlockReviews(rows: readonly DecisionRow[]): Map<string, BlockReview> {
  return new Map(
    rows.map((row) => [row.path, { label: row.label, correctionId: Number(row.id), reviewer: row.reviewer, createdAt: row.created_at }]),
  );
}

export function toCandidate(row: CandidateRow, audit = false): ReviewCandidate {
  return {
    articleId: row.article_id,
    pageId: row.page_id,
    url: row.url,
    site: row.site,
    title: row.title,
    model: row.model,
    blockIndex: row.idx,
    path: row.path,
    tag: row.tag,
    text: row.text,
    label: row.label,
    confidence: row.confidence,
    rawLabel: row.raw_label,
    smoothedBy: row.smoothed_by,
    readability: row.readability,
    listingSize: row.listing_size,
    listingKey: row.listing_key,
    topFeatures: row.top_features,
    fallback: row.fallback === 1,
    listingLabel: row.listing_label ?? null,
    audit,
  };
}

/** First 16 hex digits of the sha256 of a block's text (UTF-8). */
export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, TEXT_HASH_LENGTH);
}

/**
 * The reviewer's name, trimmed.
 *
 * @throws WinnowError `bad_input` unless it is a string of 1–64 characters once trimmed.
 */
export function reviewerName(reviewer: unknown): string {
  const name = typeof reviewer === 'string' ? reviewer.trim() : '';
  const length = [...name].length;
  if (length === 0 || length > MAX_REVIEWER_LENGTH) {
    throw new WinnowError('bad_input', `reviewer must be a name of 1 to ${MAX_REVIEWER_LENGTH} characters`);
  }
  return name;
}

/**
 * Check the shape of a batch before any database work: a non-empty array; whole, non-negative
 * block indices; known labels; `undoes` null or a correction id. A block may appear only once
 * per batch: a second decision on it would have to expect the first, which the client can send
 * as its own batch.
 *
 * @throws WinnowError `bad_input` naming the first bad item.
 */
export function checkCorrectionInputs(inputs: unknown): asserts inputs is CorrectionInput[] {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new WinnowError('bad_input', 'corrections must be a non-empty array');
  }
  const seen = new Set<number>();
  inputs.forEach((input: unknown, item) => {
    const bad = (why: string) => new WinnowError('bad_input', `correction ${item}: ${why}`);
    if (typeof input !== 'object' || input === null) {
      throw bad('not an object');
    }
    const { blockIndex, label, expected, undoes } = input as Record<string, unknown>;
    if (!Number.isSafeInteger(blockIndex) || (blockIndex as number) < 0) {
      throw bad('blockIndex must be a whole number from 0');
    }
    if (!isLabel(label) || !isLabel(expected)) {
      throw bad('label and expected must each be editorial, promo or boilerplate');
    }
    if (undoes !== undefined && undoes !== null && (!Number.isSafeInteger(undoes) || (undoes as number) < 1)) {
      throw bad('undoes must be a correction id');
    }
    if (seen.has(blockIndex as number)) {
      throw bad(`block ${String(blockIndex)} appears twice in one batch`);
    }
    seen.add(blockIndex as number);
  });
}

/** Correction ids the batch undoes, to load before {@link planCorrections}. */
export function undoneIds(inputs: readonly CorrectionInput[]): number[] {
  return [...new Set(inputs.flatMap((input) => (input.undoes === undefined || input.undoes === null ? [] : [input.undoes])))];
}

/**
 * The rows to insert for a checked batch (see {@link checkCorrectionInputs}), given what the
 * transaction read: the target article's blocks, the latest decision per path of its page, and
 * the corrections the batch undoes. An undo must name a correction of the same block, and
 * restore the label that correction replaced.
 *
 * @throws WinnowError `bad_input` for a block index out of range or an undo that does not fit;
 *   ConflictError when any `expected` differs from the block's effective label, with every such
 *   block as {@link BlockConflict}s in `current`.
 */
export function planCorrections(
  target: CorrectionTarget,
  inputs: readonly CorrectionInput[],
  reviewer: string,
  latest: ReadonlyMap<string, DecisionRow>,
  undone: readonly UndoneRow[],
  createdAt: string,
): NewCorrection[] {
  const undoneById = new Map(undone.map((row) => [Number(row.id), row]));
  const blocks = inputs.map((input) => {
    const block = target.blocks.get(input.blockIndex);
    if (!block) {
      throw new WinnowError('bad_input', `article ${target.articleId} has no block ${input.blockIndex}`);
    }
    if (input.undoes !== undefined && input.undoes !== null) {
      checkUndo(input, block.path, target.pageId, undoneById.get(input.undoes));
    }
    return block;
  });
  const conflicts: BlockConflict[] = [];
  const rows = inputs.map((input, n): NewCorrection => {
    const { path, text, label: modelLabel } = blocks[n];
    const decision = latest.get(path);
    const current = decision?.label ?? modelLabel;
    if (current !== input.expected) {
      conflicts.push({
        blockIndex: input.blockIndex,
        path,
        expected: input.expected,
        label: current,
        correctionId: decision ? Number(decision.id) : null,
        reviewer: decision?.reviewer ?? null,
      });
    }
    return {
      pageId: target.pageId,
      articleId: target.articleId,
      blockIndex: input.blockIndex,
      path,
      textHash: textHash(text),
      previousLabel: current,
      label: input.label,
      reviewer,
      createdAt,
      model: target.model,
      undoes: input.undoes ?? null,
    };
  });
  if (conflicts.length > 0) {
    const which = conflicts.map((conflict) => `${conflict.blockIndex} (now ${conflict.label})`).join(', ');
    throw new ConflictError(`blocks changed since they were loaded: ${which}`, conflicts);
  }
  return rows;
}

function checkUndo(input: CorrectionInput, path: string, pageId: string, undone: UndoneRow | undefined): void {
  if (!undone || undone.page_id !== pageId || undone.path !== path) {
    throw new WinnowError('bad_input', `correction ${String(input.undoes)} is not a correction of block ${input.blockIndex}`);
  }
  if (undone.previous_label !== input.label) {
    throw new WinnowError(
      'bad_input',
      `undoing correction ${String(input.undoes)} restores ${undone.previous_label}, not ${input.label}`,
    );
  }
}

/** listCorrections' `afterId` (default 0) and `limit` (default 1000, capped at 10000). */
export function correctionPage(filter: { afterId?: number; limit?: number }): { afterId: number; limit: number } {
  const afterId = filter.afterId ?? 0;
  if (!Number.isSafeInteger(afterId) || afterId < 0) {
    throw new WinnowError('bad_input', 'afterId must be a correction id or 0');
  }
  return { afterId, limit: clampTo(filter.limit, DEFAULT_CORRECTION_LIMIT, MAX_CORRECTION_LIMIT) };
}

/**
 * The WHERE conditions of the review candidate list (aliases `a` articles, `b` blocks) for
 * `filter`: blocks that look doubtful and carry no decision yet. `bind` works as in
 * {@link listConditions}.
 *
 * @throws WinnowError `bad_input` for an unknown label or a maxConfidence outside 0..1.
 */
export function candidateConditions(filter: ReviewCandidateFilter, bind: (name: string, value: unknown) => string): string[] {
  const maxConfidence = filter.maxConfidence ?? DEFAULT_MAX_CONFIDENCE;
  if (typeof maxConfidence !== 'number' || !(maxConfidence >= 0 && maxConfidence <= 1)) {
    throw new WinnowError('bad_input', 'maxConfidence must be a number from 0 to 1');
  }
  // Readability's verdict, or the rest of the block's listing, disagreeing with the label is
  // doubt the confidence does not show: a paid card the model was sure of among cards it called promo.
  const conditions = [
    `(b.confidence < ${bind('maxConfidence', maxConfidence)} OR b.smoothed_by IS NOT NULL
      OR (b.readability >= ${READABILITY_KEPT} AND b.label <> 'editorial')
      OR (b.readability < ${READABILITY_KEPT} AND b.label = 'editorial') OR a.fallback = 1
      OR (b.listing_size >= ${MIN_MAJORITY_LISTING} AND b.label <> ${LISTING_MAJORITY}))`,
    `NOT EXISTS (SELECT 1 FROM corrections c WHERE c.page_id = a.page_id AND c.path = b.path AND ${liveDecision('c')})`,
  ];
  if (filter.site !== undefined) {
    conditions.push(`a.site = ${bind('site', String(filter.site).toLowerCase())}`);
  }
  if (filter.label !== undefined) {
    if (!isLabel(filter.label)) {
      throw new WinnowError('bad_input', 'label must be editorial, promo or boilerplate');
    }
    conditions.push(`b.label = ${bind('label', filter.label)}`);
  }
  return conditions;
}

/**
 * The WHERE conditions of the audit sample (see ReviewCandidateFilter.audit): blocks the
 * candidate list leaves out because the model was sure, with no decision yet, under the same
 * site and label filters. `bind` works as in {@link candidateConditions}.
 */
export function auditConditions(filter: ReviewCandidateFilter, bind: (name: string, value: unknown) => string): string[] {
  const [, ...rest] = candidateConditions(filter, bind);
  return [`b.confidence >= ${bind('auditConfidence', filter.maxConfidence ?? DEFAULT_MAX_CONFIDENCE)}`, ...rest];
}

/** How many audit blocks to draw: `filter.audit`, 0 by default, capped at 500. */
export function auditCount(filter: ReviewCandidateFilter): number {
  const audit = filter.audit ?? 0;
  if (!Number.isSafeInteger(audit) || audit < 0) throw new WinnowError('bad_input', 'audit must be a whole number from 0');
  return Math.min(audit, MAX_AUDIT);
}

/** Review candidates' `limit`: 2000 by default, capped at 10000. */
export function candidateLimit(filter: ReviewCandidateFilter): number {
  return clampTo(filter.limit, DEFAULT_CANDIDATE_LIMIT, MAX_CANDIDATE_LIMIT);
}

/** listDonePageIds' `afterId` (default: from the start) and `limit` (default 500, capped at 5000). */
export function donePageIdsPage(options: { afterId?: string; limit?: number }): { afterId: string; limit: number } {
  const afterId = options.afterId ?? '';
  if (typeof afterId !== 'string') {
    throw new WinnowError('bad_input', 'afterId must be a page id');
  }
  return { afterId, limit: clampTo(options.limit, DEFAULT_DONE_PAGE_LIMIT, MAX_DONE_PAGE_LIMIT) };
}

/**
 * Review totals in one row, the same in both dialects. A block is changed when its latest decision
 * differs from the label the model gave it: the current article's label for that path, or, when
 * the path is gone from the current article (or the page has none), the label the block had when
 * it was first reviewed.
 */
export const REVIEW_STATS_SQL = `SELECT
  (SELECT CAST(count(*) AS INTEGER) FROM corrections) AS corrections,
  (SELECT CAST(count(*) AS INTEGER) FROM (SELECT DISTINCT page_id, path FROM corrections c WHERE ${liveDecision('c')}) AS d) AS reviewed_blocks,
  (SELECT CAST(count(DISTINCT page_id) AS INTEGER) FROM corrections c WHERE ${liveDecision('c')}) AS reviewed_pages,
  (SELECT CAST(count(*) AS INTEGER)
     FROM (SELECT page_id, path, max(id) AS newest_id, min(id) AS oldest_id FROM corrections c WHERE ${liveDecision('c')} GROUP BY page_id, path) AS k
     JOIN corrections newest ON newest.id = k.newest_id
     JOIN corrections oldest ON oldest.id = k.oldest_id
     LEFT JOIN pages p ON p.id = k.page_id
     WHERE newest.label <> COALESCE(
       (SELECT b.label FROM blocks b WHERE b.article_id = p.article_id AND b.path = k.path ORDER BY b.idx LIMIT 1),
       oldest.previous_label)) AS changed_blocks`;

/** Pages with at least one standing decision, newest decision first, the same in both dialects (`createdAt` reads max(created_at)). */
export function reviewedPagesSql(lastCorrectedAt: string): string {
  return `SELECT page_id, ${lastCorrectedAt}, CAST(count(*) AS INTEGER) AS corrections FROM corrections c
    WHERE ${liveDecision('c')} GROUP BY page_id ORDER BY max(created_at) DESC, max(id) DESC`;
}

/** Corrections per reviewer, most first, the same in both dialects. */
export const REVIEWER_COUNTS_SQL = `SELECT reviewer, CAST(count(*) AS INTEGER) AS corrections FROM corrections
  GROUP BY reviewer ORDER BY count(*) DESC, reviewer`;

/** Stored articles per model version, the same in both dialects. Every stored article is its page's current one. */
export const ARTICLES_BY_MODEL_SQL = 'SELECT model, CAST(count(*) AS INTEGER) AS articles FROM articles GROUP BY model ORDER BY model';

export interface ReviewStatsRow {
  corrections: number;
  reviewed_blocks: number;
  reviewed_pages: number;
  changed_blocks: number;
}

export function toReviewStats(row: ReviewStatsRow, byReviewer: readonly { reviewer: string; corrections: number }[]): ReviewStats {
  return {
    corrections: row.corrections,
    reviewedBlocks: row.reviewed_blocks,
    changedBlocks: row.changed_blocks,
    reviewedPages: row.reviewed_pages,
    byReviewer: byReviewer.map(({ reviewer, corrections }) => ({ reviewer, corrections })),
  };
}

export function toModelCounts(rows: readonly { model: string; articles: number }[]): Record<string, number> {
  return Object.fromEntries(rows.map((row) => [row.model, row.articles]));
}

// ---- Submission ledger ----

/** Hex sha256 of no bytes: the content key of a submission's pending row (and of a failed fetch's record). */
export const EMPTY_SHA256 = sha256Hex(new Uint8Array(0));

/** No bytes as stored (gzip, like every raw page), for a submission's pending row. */
export const EMPTY_RAW: Buffer = gzipSync(new Uint8Array(0));

const DEFAULT_PENDING_LIMIT = 500;
const MAX_PENDING_LIMIT = 5000;

/** The key of the pending row of a submitted `url`. @throws WinnowError `bad_input` when `url` is not absolute. */
export function submissionKey(url: string): { urlKey: string; sha: string } {
  return { urlKey: normalizeUrl(url), sha: EMPTY_SHA256 };
}

/**
 * listPendingSubmissions' options checked: `olderThan` as a stored timestamp (so SQLite's text
 * comparison orders it right against stored microseconds), `afterId` (default: from the start)
 * and `limit` (default 500, capped at 5000).
 *
 * @throws WinnowError `bad_input` when `olderThan` is not a date or `afterId` not a string.
 */
export function pendingSubmissionsPage(options: { olderThan: string; afterId?: string; limit?: number }): {
  olderThan: string;
  afterId: string;
  limit: number;
} {
  const cutoff = typeof options.olderThan === 'string' ? new Date(options.olderThan) : new Date(Number.NaN);
  if (Number.isNaN(cutoff.getTime())) {
    throw new WinnowError('bad_input', `olderThan must be an ISO 8601 date, not ${JSON.stringify(options.olderThan)}`);
  }
  const afterId = options.afterId ?? '';
  if (typeof afterId !== 'string') {
    throw new WinnowError('bad_input', 'afterId must be a page id');
  }
  return {
    olderThan: `${cutoff.toISOString().slice(0, -1)}000Z`,
    afterId,
    limit: clampTo(options.limit, DEFAULT_PENDING_LIMIT, MAX_PENDING_LIMIT),
  };
}

// ---- Stage ledger ----

/** A row of the waiting-pages query, as both backends return it. */
export interface WaitingPageRow {
  id: string;
  url: string | null;
  status: string;
  requeues: number | string;
  updated_at: string | Date;
}

export function toWaitingPage(row: WaitingPageRow): WaitingPage {
  const updatedAt = row.updated_at instanceof Date ? row.updated_at.toISOString() : row.updated_at;
  return { id: row.id, url: row.url, status: row.status as WaitingStatus, requeues: Number(row.requeues), updatedAt };
}

/**
 * listWaitingPages' options checked, as {@link pendingSubmissionsPage} checks its own, plus the status.
 *
 * @throws WinnowError `bad_input` when `status` is not a waiting status, `olderThan` not a date or `afterId` not a string.
 */
export function waitingPagesPage(options: { status: WaitingStatus; olderThan: string; afterId?: string; limit?: number }): {
  status: WaitingStatus;
  olderThan: string;
  afterId: string;
  limit: number;
} {
  if (options.status !== 'pending' && options.status !== 'fetched') {
    throw new WinnowError('bad_input', `status must be pending or fetched, not ${JSON.stringify(options.status)}`);
  }
  return { status: options.status, ...pendingSubmissionsPage(options) };
}
