import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FixtureError } from '../errors.js';
import { packageRoot } from '../classify/model.js';
import { parsePage } from '../dom/engine.js';
import { DEFAULT_LIMITS, preparePage } from '../input/prepare.js';
import { analyzePage, type PageAnalysis, type PipelineOptions } from '../pipeline.js';
import { segment } from '../segment/segment.js';
import { bodyBlocks } from '../extract/body.js';
import type { Label } from '../types.js';

/** What a fixture page is and what it exercises (`meta.json`). */
export interface FixtureMeta {
  url?: string;
  template: string;
  language: string;
  promo?: string[];
  boilerplate?: string[];
  traps?: string[];
  source?: 'hand-written' | 'review-export' | 'corpus-aligned';
  notes?: string;
  /**
   * Where a `corpus-aligned` page's labels came from: the corpus, its version and licence, the
   * page's id there, and that the labels were aligned from its ground truth, not reviewed.
   */
  provenance?: {
    corpus: string;
    version: string;
    license: string;
    pageId: string;
    review: string;
    truthCovered?: number;
  };
}

export interface FixturePage {
  slug: string;
  dir: string;
  html: string;
  meta: FixtureMeta;
}

/** A fixture page analysed, with the gold label of every block. */
export interface LabeledPage {
  slug: string;
  meta: FixtureMeta;
  analysis: PageAnalysis;
  /** Gold label per block; a placeholder where `unreviewed` is true. */
  gold: Label[];
  /**
   * Per block, true when the page leaves it out of training and scoring: on a review export, a
   * block no reviewer decided (`data-winnow-label="unreviewed"`). Absent when every block is truth.
   */
  unreviewed?: boolean[];
  /**
   * Per block, the share of promo among promo + boilerplate when a page's labels cannot tell
   * the two apart (a corpus's ground truth says only what is main content): training splits a
   * block that is not editorial between the two by this share instead of its hard label.
   */
  promoShare?: number[];
}

/**
 * Label value a review export gives blocks nobody reviewed: present in the page so every block
 * is accounted for, but not training truth. Accepted only on `review-export` pages.
 */
export const UNREVIEWED_LABEL = 'unreviewed';
const UNREVIEWED_ATTRIBUTE = /data-winnow-label\s*=\s*(["']?)unreviewed\1/gi;

/** Whether block `i` of a labeled page is training truth (see LabeledPage.unreviewed). */
export function isTruth(page: LabeledPage, i: number): boolean {
  return page.unreviewed?.[i] !== true;
}

/** `fixtures/pages` of this package, or WINNOW_FIXTURES_DIR. */
export function defaultFixtureDir(): string {
  return process.env.WINNOW_FIXTURES_DIR ?? join(packageRoot(), 'fixtures', 'pages');
}

/** Every fixture folder under `dir` (those with a `page.html`), sorted by slug. */
export function loadFixtures(dir: string = defaultFixtureDir()): FixturePage[] {
  if (!existsSync(dir)) throw new FixtureError(`no fixtures folder at ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'page.html')))
    .map((entry) => entry.name)
    .sort()
    .map((slug) => loadFixture(join(dir, slug)));
}

export function loadFixture(dir: string): FixturePage {
  const slug = dir.split(/[\\/]/).pop()!;
  const html = readFileSync(join(dir, 'page.html'), 'utf8');
  const metaFile = join(dir, 'meta.json');
  const meta: FixtureMeta = existsSync(metaFile)
    ? (JSON.parse(readFileSync(metaFile, 'utf8')) as FixtureMeta)
    : { template: 'unknown', language: 'en' };
  return { slug, dir, html, meta };
}

/**
 * Analyse a fixture page and read its labels. Every block must fall under a labeled element:
 * an unlabeled block throws FixtureError naming its path and text, so a gap in labeling can
 * never silently train the model.
 */
export function labelFixture(page: FixturePage, options: PipelineOptions = {}): LabeledPage {
  const url = options.url ?? page.meta.url;
  const marked = UNREVIEWED_ATTRIBUTE.test(page.html);
  UNREVIEWED_ATTRIBUTE.lastIndex = 0;
  if (marked && page.meta.source !== 'review-export') {
    throw new FixtureError(`${page.slug}: "${UNREVIEWED_LABEL}" labels are only for pages exported from review (meta.source "review-export")`);
  }
  // The segmenter reads only real labels, so unreviewed blocks are found by reading the page
  // twice with the marker standing for two different labels: they are the blocks that differ.
  const analysis = analyzePage(marked ? withMarkerAs(page.html, 'boilerplate') : page.html, { ...options, url, readLabels: true });
  const unreviewed = marked ? probeGold(withMarkerAs(page.html, 'editorial'), url, options).map((gold, i) => gold !== analysis.blocks[i]?.gold) : undefined;
  const unlabeled = analysis.blocks.filter((block) => block.gold === null);
  if (unlabeled.length > 0) {
    const examples = unlabeled
      .slice(0, 5)
      .map((block) => `  ${block.path}: "${block.text.slice(0, 60)}"`)
      .join('\n');
    throw new FixtureError(`${page.slug}: ${unlabeled.length} block(s) without a label, e.g.\n${examples}`);
  }
  const gold = analysis.blocks.map((block) => block.gold!);
  return unreviewed ? { slug: page.slug, meta: page.meta, analysis, gold, unreviewed } : { slug: page.slug, meta: page.meta, analysis, gold };
}

function withMarkerAs(html: string, label: Label): string {
  return html.replace(UNREVIEWED_ATTRIBUTE, `data-winnow-label="${label}"`);
}

/** Gold labels only: parse and segment, without Readability or features. */
function probeGold(html: string, url: string | undefined, options: PipelineOptions): (Label | null)[] {
  const parsed = parsePage(preparePage(html, options.limits ?? DEFAULT_LIMITS), { url, engine: options.engine });
  try {
    return segment(parsed.document, { url, readLabels: true }).map((block) => block.gold);
  } finally {
    parsed.dispose();
  }
}

/**
 * The article text a fixture's labels define: its editorial blocks' text, one per line, less
 * the headline and dek the article body leaves to the title and excerpt (as `moderate` does).
 */
export function fixtureTruthText(html: string, url?: string): string {
  const analysis = analyzePage(html, { url, readLabels: true });
  const editorial = analysis.blocks.filter((block) => block.gold === 'editorial');
  return bodyBlocks(editorial, analysis.metadata.title, analysis.metadata.excerpt)
    .body.map((block) => block.text)
    .join('\n');
}

/** Hash of the fixture set (slugs and page bytes), stamped on a model trained from it. */
export function fixtureSetHash(pages: FixturePage[]): string {
  const hash = createHash('sha256');
  for (const page of pages) hash.update(page.slug).update('\u0000').update(page.html).update('\u0000');
  return hash.digest('hex').slice(0, 16);
}
