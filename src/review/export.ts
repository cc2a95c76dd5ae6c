import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePage } from '../dom/engine.js';
import { WinnowError } from '../errors.js';
import { languageOf } from '../features/text-tokens.js';
import { decodeHtml } from '../input/decode.js';
import { DEFAULT_LIMITS, preparePage } from '../input/prepare.js';
import { countWords, LABEL_ATTRIBUTE } from '../segment/segment.js';
import type { Store, StoredArticle } from '../storage/store.js';
import { labelFixture, UNREVIEWED_LABEL, type FixtureMeta, type FixturePage } from '../train/fixtures.js';
import type { EngineName, Label } from '../types.js';
import type { BlockReview } from './types.js';

export interface ExportOptions {
  /** Folder of fixture pages the exported pages are written into (`<fixturesDir>/<slug>/`). */
  fixturesDir: string;
  /** Pages to export. @defaultValue every page with at least one correction */
  pageIds?: string[];
  /**
   * DOM engine the fixtures will be trained with: each page is verified under it before it is
   * written. @defaultValue the engine that produced the stored article
   */
  engine?: EngineName;
}

/** One page written as a fixture. */
export interface ExportedFixture {
  slug: string;
  pageId: string;
  /** The fixture's folder. */
  dir: string;
  /** Blocks on the page (every one carries a label or the unreviewed marker). */
  blocks: number;
  /** Blocks a person decided (relabeled or confirmed): the page's training truth. */
  reviewed: number;
  /** Blocks whose label a reviewer changed from the stored article's. */
  corrected: number;
  /**
   * What the fixture could not say exactly as reviewed, e.g. loose text of one container that
   * reviewers split between labels (the fixture gives the whole container its majority label).
   */
  warnings: string[];
}

export interface ExportResult {
  written: ExportedFixture[];
  skipped: { pageId: string; reason: string }[];
}

/**
 * What an exported block says: a label a person decided, or `unreviewed` (no decision: the
 * fixture keeps the block but training leaves it out).
 */
export type ExportLabel = Label | typeof UNREVIEWED_LABEL;

/** Block of a stored article as the export labels it. */
export interface BlockToLabel {
  path: string;
  text: string;
  label: ExportLabel;
}

/** A page with its labels inline, ready to be a fixture's `page.html`. */
export interface LabeledHtml {
  html: string;
  /** Per block, the label the fixture teaches (differs from the asked one only where `warnings` say). */
  labels: ExportLabel[];
  warnings: string[];
}

/** Leftover folders of an interrupted export start with this; they are removed on the next export. */
const TEMP_PREFIX = '.review-export-';
/** Age after which such a folder is surely not an export still running. */
const STALE_TEMP_MS = 10 * 60 * 1000;
/** How many offending paths a skip reason lists. */
const MAX_REASON_PATHS = 5;

/** Why a page cannot become a fixture; the export skips it with this message. */
export class ExportMismatchError extends WinnowError {
  constructor(message: string) {
    super('bad_fixture', message);
  }
}

/**
 * Write reviewed pages as labeled fixtures (`fixtures/pages/<slug>/{page.html, meta.json}`), the
 * format hand-written fixtures use, so retraining learns from reviewers' corrections.
 *
 * Only what a person decided is truth: each block with a standing decision (a relabel or a
 * confirmation, not undone) gets that label as a `data-winnow-label` attribute on its own
 * element; every other block is marked `unreviewed`, which training skips. A page whose
 * decisions were all undone is not exported. The page is then serialized. Before anything
 * is written the new page is read back with `labelFixture`: unless it yields the same blocks with
 * exactly the intended labels, the page is skipped with a reason naming the paths. A re-export
 * replaces the page's folder (same slug) in one rename.
 */
export async function exportReviewedPages(store: Store, options: ExportOptions): Promise<ExportResult> {
  const pageIds = options.pageIds ?? (await store.listReviewedPages()).map((page) => page.pageId);
  mkdirSync(options.fixturesDir, { recursive: true });
  removeInterruptedExports(options.fixturesDir);
  const result: ExportResult = { written: [], skipped: [] };
  for (const pageId of [...new Set(pageIds)]) {
    try {
      result.written.push(await exportPage(store, pageId, options));
    } catch (error) {
      // Bad or irreproducible pages are skipped; a failing disk or database is not the page's fault.
      if (!(error instanceof WinnowError)) throw error;
      result.skipped.push({ pageId, reason: error.message });
    }
  }
  return result;
}

async function exportPage(store: Store, pageId: string, options: ExportOptions): Promise<ExportedFixture> {
  const page = await store.getPage(pageId);
  if (!page) throw new WinnowError('not_found', `no page ${pageId}`);
  const article = await store.getArticle(pageId);
  if (!article || article.pageId !== pageId) throw new WinnowError('not_found', `page ${pageId} has no stored article`);
  const reviews = await store.blockReviews(pageId);
  if (reviews.size === 0) throw new WinnowError('not_found', `page ${pageId} has no review decisions`);
  const raw = await store.getRawPage(pageId);
  if (!raw) throw new WinnowError('not_found', `page ${pageId} has no raw bytes stored`);

  const url = page.url ?? article.url ?? undefined;
  const blocks: BlockToLabel[] = article.blocks.map((block) => ({ path: block.path, text: block.text, label: reviews.get(block.path)?.label ?? UNREVIEWED_LABEL }));
  const labeled = labelPageHtml(decodeHtml(raw, page.contentType).html, blocks, { url, engine: article.engine });
  const warnings = [...labeled.warnings, ...unappliedReviews(article, reviews)];
  const slug = reviewSlug(url ?? null, pageId);
  const corrected = countCorrected(article, reviews);
  const reviewed = labeled.labels.filter((label) => label !== UNREVIEWED_LABEL).length;
  if (reviewed === 0) throw new WinnowError('not_found', `page ${pageId} has no reviewed block left once its loose text is grouped`);
  const meta = fixtureMeta(article, url, { blocks: blocks.length, reviewed, corrected, warnings });
  verifyFixture({ slug, dir: '', html: labeled.html, meta }, blocks, labeled.labels, options.engine ?? article.engine);

  const dir = join(options.fixturesDir, slug);
  writeFixtureDir(options.fixturesDir, slug, labeled.html, meta);
  return { slug, pageId, dir, blocks: blocks.length, reviewed, corrected, warnings };
}

/**
 * Put each block's label on the page as `data-winnow-label`: on the block's own element, or for
 * loose text (`<container>::run(k)`) on its container. Every block element carries its own
 * attribute, so a container's label never reaches a child block. Labels already on the page
 * are removed first. Runs of one container can only share one label: when their labels differ,
 * the label covering most words wins and a warning says so, except that a container with any
 * unreviewed run stays unreviewed (a decision never spreads to text nobody looked at).
 *
 * `html` is the decoded page; it is prepared (limits, stripping) and parsed as the pipeline does.
 *
 * @throws ExportMismatchError when a block's path does not exist in the page.
 */
export function labelPageHtml(html: string, blocks: BlockToLabel[], options: { url?: string; engine?: EngineName } = {}): LabeledHtml {
  const parsed = parsePage(preparePage(html, DEFAULT_LIMITS), options);
  try {
    const document = parsed.document;
    for (const element of Array.from(document.querySelectorAll(`[${LABEL_ATTRIBUTE}]`))) element.removeAttribute(LABEL_ATTRIBUTE);

    const targets = new Map<Element, { container: string; members: number[] }>();
    const missing: string[] = [];
    blocks.forEach((block, i) => {
      const elementPath = runContainer(block.path) ?? block.path;
      const element = resolvePath(document, elementPath);
      if (!element) return void missing.push(block.path);
      const target = targets.get(element);
      if (target) target.members.push(i);
      else targets.set(element, { container: elementPath, members: [i] });
    });
    if (missing.length > 0) {
      throw new ExportMismatchError(`the raw page does not have these block paths: ${listPaths(missing)}`);
    }

    const labels = blocks.map((block) => block.label);
    const warnings: string[] = [];
    for (const [element, { container, members }] of targets) {
      const runs = members.map((i) => blocks[i]);
      const label = runs.some((run) => run.label === UNREVIEWED_LABEL) ? UNREVIEWED_LABEL : majorityLabel(runs);
      if (members.some((i) => blocks[i].label !== label)) {
        warnings.push(`${container}: its loose text was labeled ${describeSplit(members.map((i) => blocks[i]))}; all of it is labeled ${label}`);
      }
      for (const i of members) labels[i] = label;
      element.setAttribute(LABEL_ATTRIBUTE, label);
    }
    return { html: serialize(document), labels, warnings };
  } finally {
    parsed.dispose();
  }
}

/**
 * Read the new page back as training will and insist it teaches what was intended: the same
 * blocks (count, paths, texts) with exactly the intended labels.
 *
 * @throws ExportMismatchError naming the paths that differ.
 */
export function verifyFixture(fixture: FixturePage, blocks: BlockToLabel[], labels: ExportLabel[], engine?: EngineName): void {
  const read = labelFixture(fixture, { engine });
  const got = read.analysis.blocks;
  if (got.length !== blocks.length) {
    const expected = new Set(blocks.map((block) => block.path));
    const seen = new Set(got.map((block) => block.path));
    const differing = [...got.filter((block) => !expected.has(block.path)).map((b) => b.path), ...blocks.filter((b) => !seen.has(b.path)).map((b) => b.path)];
    throw new ExportMismatchError(
      `the exported page has ${got.length} blocks where the stored article has ${blocks.length}${differing.length ? `; differing paths: ${listPaths(differing)}` : ''}`,
    );
  }
  const moved = blocks.filter((block, i) => got[i].path !== block.path || got[i].text !== block.text).map((block) => block.path);
  if (moved.length > 0) throw new ExportMismatchError(`the exported page does not reproduce the stored blocks at ${listPaths(moved)}`);
  const readLabel = (i: number): ExportLabel => (read.unreviewed?.[i] ? UNREVIEWED_LABEL : read.gold[i]);
  const wrong = blocks.flatMap((block, i) => (readLabel(i) === labels[i] ? [] : [`${block.path} (${readLabel(i)} instead of ${labels[i]})`]));
  if (wrong.length > 0) throw new ExportMismatchError(`the exported page would teach other labels at ${listPaths(wrong)}`);
}

/** `review-<site with dashes>-<first 10 characters of the page id>`: the same folder on every export. */
export function reviewSlug(url: string | null, pageId: string): string {
  const site = siteOf(url) ?? 'local';
  const id = pageId.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 10);
  return `review-${site.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}-${id}`;
}

function siteOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname || null;
  } catch {
    return null;
  }
}

function fixtureMeta(
  article: StoredArticle,
  url: string | undefined,
  summary: { blocks: number; reviewed: number; corrected: number; warnings: string[] },
): FixtureMeta {
  const site = siteOf(url ?? null) ?? 'local';
  const unreviewed = summary.blocks - summary.reviewed;
  const notes = [
    `exported from review of page ${article.pageId} (model ${article.model}): ${summary.reviewed} of ${summary.blocks} blocks decided by reviewers ` +
      `(${summary.corrected} relabeled, ${summary.reviewed - summary.corrected} confirmed)` +
      (unreviewed > 0 ? `; the other ${unreviewed} are marked ${UNREVIEWED_LABEL} and not trained on` : ''),
    ...summary.warnings,
  ].join('; ');
  return {
    ...(url ? { url } : {}),
    template: `review:${site}`,
    language: languageOf(article.lang),
    source: 'review-export',
    notes,
  };
}

function countCorrected(article: StoredArticle, reviews: Map<string, BlockReview>): number {
  return article.blocks.filter((block) => {
    const review = reviews.get(block.path);
    return review !== undefined && review.label !== block.label;
  }).length;
}

/** Decisions on paths the current article no longer has (the page was reprocessed since). */
function unappliedReviews(article: StoredArticle, reviews: Map<string, BlockReview>): string[] {
  const paths = new Set(article.blocks.map((block) => block.path));
  const gone = [...reviews.keys()].filter((path) => !paths.has(path));
  return gone.length === 0 ? [] : [`${gone.length} review decision(s) on blocks the stored article no longer has were not applied: ${listPaths(gone)}`];
}

/** Container path of a loose-text block (`a > b:nth-of-type(2)::run(1)` → `a > b:nth-of-type(2)`), else null. */
function runContainer(path: string): string | null {
  const match = /^(.*)::run\(\d+\)$/.exec(path);
  return match ? match[1] : null;
}

/**
 * The element a segmenter path names: `body`, then `tag:nth-of-type(n)` steps, counting element
 * children by tag as the segmenter does. Null when the page has no such element.
 */
export function resolvePath(document: Document, path: string): Element | null {
  const steps = path.split(' > ');
  if (steps[0] !== 'body') return null;
  let element: Element | null = document.body ?? document.documentElement;
  for (const step of steps.slice(1)) {
    if (!element) return null;
    const match = /^(.+):nth-of-type\((\d+)\)$/.exec(step);
    if (!match) return null;
    // The segmenter escapes characters a selector cannot hold (`o\:p`).
    const tag = match[1].replace(/\\(.)/g, '$1');
    let nth = Number(match[2]);
    let found: Element | null = null;
    for (const child of Array.from(element.children)) {
      if (child.tagName.toLowerCase() === tag && --nth === 0) {
        found = child;
        break;
      }
    }
    element = found;
  }
  return element;
}

/** The label covering the most words among the blocks (ties: the first block's). */
function majorityLabel(blocks: BlockToLabel[]): ExportLabel {
  const words = new Map<ExportLabel, number>();
  for (const block of blocks) words.set(block.label, (words.get(block.label) ?? 0) + Math.max(1, countWords(block.text)));
  let best = blocks[0].label;
  for (const [label, count] of words) if (count > words.get(best)!) best = label;
  return best;
}

function describeSplit(blocks: BlockToLabel[]): string {
  const words = new Map<ExportLabel, number>();
  for (const block of blocks) words.set(block.label, (words.get(block.label) ?? 0) + countWords(block.text));
  return [...words].map(([label, count]) => `${label} (${count} words)`).join(' and ');
}

function listPaths(paths: string[]): string {
  const shown = paths.slice(0, MAX_REASON_PATHS).join(', ');
  return paths.length > MAX_REASON_PATHS ? `${shown} and ${paths.length - MAX_REASON_PATHS} more` : shown;
}

/** The whole document as HTML, keeping the page's doctype (without one, parsers use quirks mode). */
function serialize(document: Document): string {
  const doctype = document.doctype ? `<!DOCTYPE ${document.doctype.name || 'html'}>\n` : '';
  return `${doctype}${document.documentElement.outerHTML}\n`;
}

/**
 * Write the fixture into a temporary folder beside its final place, `page.html` last, then swap
 * it in by renaming, so a reader never sees half a fixture.
 */
function writeFixtureDir(fixturesDir: string, slug: string, html: string, meta: FixtureMeta): void {
  const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const dir = join(fixturesDir, slug);
  const temp = join(fixturesDir, `${TEMP_PREFIX}${slug}-${token}`);
  const old = `${temp}-old`;
  mkdirSync(temp);
  try {
    writeFileSync(join(temp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    writeFileSync(join(temp, 'page.html'), html);
    if (existsSync(dir)) renameSync(dir, old);
    try {
      renameSync(temp, dir);
    } catch (error) {
      if (existsSync(old)) renameSync(old, dir);
      throw error;
    }
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * Temporary folders an interrupted export left behind (a fixture loader would read them as
 * pages). Only old ones: a recent one may belong to an export running in another process.
 */
function removeInterruptedExports(fixturesDir: string): void {
  for (const entry of readdirSync(fixturesDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(TEMP_PREFIX)) continue;
    const path = join(fixturesDir, entry.name);
    if (Date.now() - statSync(path).mtimeMs > STALE_TEMP_MS) rmSync(path, { recursive: true, force: true });
  }
}
